"""Lambda resource policy: source ARN format and ArnLike matching."""

from __future__ import annotations

from emulator.apigw.lambda_permission import LambdaPolicy, source_arn
from tests.unit.emulator.apigw.fakes import ACCOUNT, route

BASE = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abc123"


def policy(
    source: str | None, *, principal: str = "apigateway.amazonaws.com", effect: str = "Allow"
) -> LambdaPolicy:
    statement = {"Effect": effect, "Action": "lambda:InvokeFunction", "Principal": {"Service": principal}}
    if source is not None:
        statement["Condition"] = {"ArnLike": {"AWS:SourceArn": source}}
    return LambdaPolicy.parse({"Version": "2012-10-17", "Statement": [statement]})


def test_source_arn_uses_stage_method_and_route_path() -> None:
    arn = source_arn("us-east-1", ACCOUNT, "abc123", "$default", "GET", route("GET /books/{id}"))
    assert arn == f"{BASE}/$default/GET/books/{{id}}"


def test_source_arn_for_default_route_and_any_method() -> None:
    assert source_arn("us-east-1", ACCOUNT, "abc123", "$default", "GET", route("$default")).endswith(
        "/$default/$default"
    )
    assert "/prod/DELETE/x" in source_arn("us-east-1", ACCOUNT, "abc123", "prod", "DELETE", route("ANY /x"))


def test_wildcard_permission_allows_every_route() -> None:
    assert policy(f"{BASE}/*/*").allows(f"{BASE}/$default/GET/books/{{id}}", ACCOUNT)


def test_narrow_permission_allows_only_its_route() -> None:
    narrow = policy(f"{BASE}/*/GET/books")
    assert narrow.allows(f"{BASE}/$default/GET/books", ACCOUNT)
    assert not narrow.allows(f"{BASE}/$default/POST/books", ACCOUNT)


def test_permission_for_another_api_does_not_allow() -> None:
    other = policy(f"arn:aws:execute-api:us-east-1:{ACCOUNT}:zzz999/*/*")
    assert not other.allows(f"{BASE}/$default/GET/books", ACCOUNT)


def test_wildcard_does_not_cross_arn_parts() -> None:
    assert not policy("arn:aws:execute-api:*").allows(f"{BASE}/$default/GET/books", ACCOUNT)
    assert policy("arn:aws:execute-api:*:*:*").allows(f"{BASE}/$default/GET/books", ACCOUNT)


def test_empty_policy_and_other_principals_deny() -> None:
    assert not LambdaPolicy.parse("").allows(f"{BASE}/$default/GET/x", ACCOUNT)
    assert not policy(f"{BASE}/*/*", principal="s3.amazonaws.com").allows(f"{BASE}/$default/GET/x", ACCOUNT)


def test_statement_without_source_condition_allows() -> None:
    assert policy(None).allows(f"{BASE}/$default/GET/x", ACCOUNT)


def test_deny_statement_wins() -> None:
    document = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Principal": {"Service": "apigateway.amazonaws.com"},
            },
            {
                "Effect": "Deny",
                "Action": "lambda:*",
                "Principal": {"Service": "apigateway.amazonaws.com"},
                "Condition": {"ArnLike": {"AWS:SourceArn": f"{BASE}/*/DELETE/*"}},
            },
        ]
    }
    parsed = LambdaPolicy.parse(document)
    assert parsed.allows(f"{BASE}/$default/GET/x", ACCOUNT)
    assert not parsed.allows(f"{BASE}/$default/DELETE/x", ACCOUNT)


def test_moto_policy_document_string_is_parsed() -> None:
    document = (
        '{"Version": "2012-10-17", "Id": "default", "Statement": [{"Action": "lambda:InvokeFunction", '
        '"Principal": {"Service": "apigateway.amazonaws.com"}, "Effect": "Allow", "Sid": "s", '
        f'"Condition": {{"ArnLike": {{"AWS:SourceArn": "{BASE}/*/*"}}}}}}]}}'
    )
    assert LambdaPolicy.parse(document).allows(f"{BASE}/$default/GET/books", ACCOUNT)
