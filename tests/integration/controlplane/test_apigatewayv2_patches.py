"""Against `python -m controlplane`: UpdateStage as AWS documents it, UpdateRoute clearing scopes."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

LOG_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/cp-patch"
CREATED: dict[str, Any] = {
    "AutoDeploy": True,
    "AccessLogSettings": {"DestinationArn": LOG_ARN, "Format": '{"requestId":"$context.requestId"}'},
    "DefaultRouteSettings": {
        "DetailedMetricsEnabled": False,
        "ThrottlingBurstLimit": 40,
        "ThrottlingRateLimit": 20.0,
    },
    "RouteSettings": {"GET /books": {"ThrottlingBurstLimit": 5, "ThrottlingRateLimit": 2.0}},
    "StageVariables": {"keep": "1", "drop": "2"},
    "Description": "created",
}


@pytest.fixture
def apigw(moto_endpoint: str) -> Any:
    return boto3.client("apigatewayv2", endpoint_url=moto_endpoint, region_name="us-east-1")


@pytest.fixture
def api_id(apigw: Any) -> str:
    return str(apigw.create_api(Name="cp-patch-api", ProtocolType="HTTP")["ApiId"])


def _stage(response: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v for k, v in response.items() if k not in ("ResponseMetadata", "CreatedDate", "LastUpdatedDate")
    }


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        pytest.param(
            {
                "DefaultRouteSettings": {
                    "DetailedMetricsEnabled": False,
                    "ThrottlingBurstLimit": 40,
                    "ThrottlingRateLimit": 7.5,
                }
            },
            {
                "DefaultRouteSettings": {
                    "DetailedMetricsEnabled": False,
                    "ThrottlingBurstLimit": 40,
                    "ThrottlingRateLimit": 7.5,
                }
            },
            id="throttling-rate",
        ),
        pytest.param(
            {"DefaultRouteSettings": {"DetailedMetricsEnabled": True}},
            {
                "DefaultRouteSettings": {
                    "DetailedMetricsEnabled": True,
                    "ThrottlingBurstLimit": 40,
                    "ThrottlingRateLimit": 20.0,
                }
            },
            id="partial-default-route-settings-keep-the-other-limits",
        ),
        pytest.param({"AutoDeploy": False}, {"AutoDeploy": False}, id="auto-deploy"),
        pytest.param(
            {"AccessLogSettings": {"DestinationArn": LOG_ARN, "Format": "$context.status"}},
            {"AccessLogSettings": {"DestinationArn": LOG_ARN, "Format": "$context.status"}},
            id="access-log-format",
        ),
        pytest.param(
            {"AccessLogSettings": {}}, {"AccessLogSettings": None}, id="empty-access-log-settings-remove-them"
        ),
        pytest.param(
            {"RouteSettings": {"POST /books": {"ThrottlingBurstLimit": 1}}},
            {
                "RouteSettings": {
                    "GET /books": {"ThrottlingBurstLimit": 5, "ThrottlingRateLimit": 2.0},
                    "POST /books": {"ThrottlingBurstLimit": 1},
                }
            },
            id="route-settings-by-route-key",
        ),
        pytest.param(
            {"StageVariables": {"drop": "", "new": "3"}},
            {"StageVariables": {"keep": "1", "new": "3"}},
            id="stage-variable-set-to-empty-is-removed",
        ),
        pytest.param({"Description": "changed"}, {"Description": "changed"}, id="description"),
        pytest.param({"Description": ""}, {"Description": None}, id="empty-description-removes-it"),
        pytest.param({"DeploymentId": "dep123"}, {"DeploymentId": "dep123"}, id="deployment-id"),
        pytest.param(
            {"ClientCertificateId": "cert12"}, {"ClientCertificateId": "cert12"}, id="client-certificate"
        ),
    ],
)
def test_update_stage_changes_only_the_given_fields_and_returns_the_stage_as_get_stage(
    apigw: Any, api_id: str, update: dict[str, Any], expected: dict[str, Any]
) -> None:
    before = _stage(apigw.create_stage(ApiId=api_id, StageName="$default", **CREATED))

    updated = _stage(apigw.update_stage(ApiId=api_id, StageName="$default", **update))

    want = {k: v for k, v in {**before, **expected}.items() if v is not None}
    assert updated == want
    assert _stage(apigw.get_stage(ApiId=api_id, StageName="$default")) == want


def test_update_stage_of_an_unknown_stage_is_not_found(apigw: Any, api_id: str) -> None:
    with pytest.raises(apigw.exceptions.NotFoundException):
        apigw.update_stage(ApiId=api_id, StageName="missing", AutoDeploy=False)


def _jwt_route(apigw: Any, api_id: str) -> tuple[str, str]:
    authorizer = apigw.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": "https://issuer.example", "Audience": ["aud"]},
    )["AuthorizerId"]
    route = apigw.create_route(
        ApiId=api_id,
        RouteKey="POST /books",
        AuthorizationType="JWT",
        AuthorizerId=authorizer,
        AuthorizationScopes=["books:write"],
    )["RouteId"]
    return str(route), str(authorizer)


@pytest.mark.parametrize(
    ("update", "scopes", "authorization_type", "has_authorizer"),
    [
        pytest.param({"AuthorizationScopes": []}, [], "JWT", True, id="empty-scopes-clear-them"),
        pytest.param({"AuthorizationScopes": ["a", "b"]}, ["a", "b"], "JWT", True, id="new-scopes"),
        pytest.param(
            {"Target": "integrations/abc"}, ["books:write"], "JWT", True, id="scopes-not-given-stay"
        ),
        pytest.param(
            {"AuthorizationType": "NONE", "AuthorizerId": "", "AuthorizationScopes": []},
            [],
            "NONE",
            False,
            id="to-none-as-terraform-sends-it",
        ),
        pytest.param(
            {"AuthorizationType": "NONE"}, [], "NONE", False, id="to-none-drops-authorizer-and-scopes"
        ),
    ],
)
def test_update_route_sets_what_the_request_names(
    apigw: Any,
    api_id: str,
    update: dict[str, Any],
    scopes: list[str],
    authorization_type: str,
    has_authorizer: bool,
) -> None:
    route_id, _ = _jwt_route(apigw, api_id)

    apigw.update_route(ApiId=api_id, RouteId=route_id, **update)

    route = apigw.get_route(ApiId=api_id, RouteId=route_id)
    assert route.get("AuthorizationScopes", []) == scopes
    assert route["AuthorizationType"] == authorization_type
    assert bool(route.get("AuthorizerId")) is has_authorizer
