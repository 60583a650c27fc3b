"""python -m mock_idp token / rotate against a running issuer: output on stdout, errors as exit codes."""

from __future__ import annotations

import json

import jwt
import pytest

from mock_idp.__main__ import run
from tests.support.processes import free_port
from tests.unit.mock_idp.conftest import Issuer


def test_token_command_prints_only_the_token(idp: Issuer, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["token", "--issuer", idp.listen_url, "--scope", "books:write"])

    out = capsys.readouterr().out
    assert code == 0
    assert out.count("\n") == 1
    claims = jwt.decode(out.strip(), options={"verify_signature": False})
    assert claims["scope"] == "books:write"
    assert claims["client_id"] == "local-writer"


def test_token_command_takes_other_client_credentials(
    idp: Issuer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(
        [
            "token",
            "--issuer",
            idp.listen_url,
            "--client-id",
            "local-reader",
            "--client-secret",
            "local-reader-secret",
        ]
    )

    claims = jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})
    assert code == 0
    assert claims["client_id"] == "local-reader"


def test_token_command_reads_the_issuer_from_the_environment(
    idp: Issuer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCK_IDP_ISSUER", idp.listen_url)

    assert run(["token"]) == 0
    assert (
        jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})["iss"] == idp.issuer
    )


def test_refused_token_request_exits_nonzero_with_the_error_and_no_output(
    idp: Issuer, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    code = run(["token", "--issuer", idp.listen_url, "--client-id", "local-reader", "--scope", "books:write"])

    assert code == 1
    assert capsys.readouterr().out == ""
    assert "invalid_scope" in caplog.text


def test_unreachable_issuer_is_a_clear_error(caplog: pytest.LogCaptureFixture) -> None:
    assert run(["token", "--issuer", f"http://127.0.0.1:{free_port()}"]) == 1
    assert "cannot reach" in caplog.text


def test_rotate_command_prints_the_new_kid(idp: Issuer, capsys: pytest.CaptureFixture[str]) -> None:
    before = idp.keys.current.kid

    code = run(["rotate", "--issuer", idp.listen_url, "--overlap-seconds", "30"])

    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert result["previous_kid"] == before
    assert result["kid"] == idp.keys.current.kid != before


def test_serve_with_an_invalid_issuer_exits_2(caplog: pytest.LogCaptureFixture) -> None:
    assert run(["serve", "--port", str(free_port()), "--issuer", "not-a-url"]) == 2
    assert "must be an http(s) URL" in caplog.text
