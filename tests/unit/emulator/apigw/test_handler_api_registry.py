"""Registry: control-plane reads turned into a snapshot; failed refreshes keep the last one."""

from __future__ import annotations

from emulator.apigw import api_registry
from emulator.apigw.api_registry import ApiRegistry, function_arn_of, log_group_name
from emulator.config import Settings
from tests.unit.emulator.apigw.fakes import FUNCTION_ARN, INVOKE_URI, api, run, snapshot


def test_function_arn_comes_from_invoke_arn_or_plain_arn() -> None:
    assert function_arn_of(INVOKE_URI) == FUNCTION_ARN
    assert function_arn_of(FUNCTION_ARN) == FUNCTION_ARN
    assert function_arn_of(FUNCTION_ARN + ":live") == FUNCTION_ARN + ":live"
    assert function_arn_of("https://example.com") == ""


def test_log_group_name_from_destination_arn() -> None:
    assert (
        log_group_name("arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/x")
        == "/aws/apigateway/x"
    )
    assert (
        log_group_name("arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/x:*")
        == "/aws/apigateway/x"
    )


def test_stage_reads_throttling_and_access_logs() -> None:
    stage = api_registry._stage(
        {
            "StageName": "$default",
            "AccessLogSettings": {
                "DestinationArn": "arn:aws:logs:r:1:log-group:/g",
                "Format": "$context.requestId",
            },
            "DefaultRouteSettings": {"ThrottlingBurstLimit": 10, "ThrottlingRateLimit": 5.0},
            "RouteSettings": {"GET /x": {"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 1.0}},
            "StageVariables": {"a": "b"},
        }
    )
    assert stage.access_log_group == "/g" and stage.variables == {"a": "b"}
    assert stage.throttle_for("GET /y") is not None and stage.throttle_for("GET /y").burst == 10
    assert stage.throttle_for("GET /x").burst == 1


def test_integration_timeout_is_capped_at_30_seconds() -> None:
    item = {
        "IntegrationId": "i",
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": INVOKE_URI,
        "TimeoutInMillis": 90000,
    }
    assert api_registry._integration(item).timeout_ms == 30000


def test_refresh_replaces_snapshot_and_failure_keeps_it() -> None:
    loads = [snapshot(api(api_id="first1"))]

    def loader():
        if not loads:
            raise ConnectionError("control plane down")
        return loads.pop(0)

    registry = ApiRegistry(Settings(), loader=loader)
    assert run(registry.refresh()) is True
    assert set(registry.snapshot.apis) == {"first1"}
    assert run(registry.refresh()) is False
    assert set(registry.snapshot.apis) == {"first1"}


def test_listeners_hear_each_refresh() -> None:
    seen = []
    registry = ApiRegistry(Settings(), loader=lambda: snapshot(api()))
    registry.on_refresh(lambda snap: seen.append(sorted(snap.apis)))
    run(registry.refresh())
    assert seen == [["abc123"]]
