"""JWT_ISSUER for the local stack: validated like terraform/, remembered across local-up runs, reset by 'mock'."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from devstack import issuer, stack_env, up
from devstack.config import StackConfig

MOCK_URL = "http://127.0.0.1:4569"
IDP = "https://idp.example.com"
OTHER = "https://login.example.org/realms/books"


def config(tmp_path: Path, jwt_issuer: str = "") -> StackConfig:
    return StackConfig(state_dir=tmp_path, jwt_issuer=jwt_issuer)


@pytest.mark.parametrize(
    ("given", "remembered", "in_force", "remembered_after"),
    [
        pytest.param("", None, MOCK_URL, None, id="nothing chosen: mock_idp"),
        pytest.param(IDP, None, IDP, IDP, id="JWT_ISSUER is trusted and remembered"),
        pytest.param("", IDP, IDP, IDP, id="a plain re-run keeps the earlier choice"),
        pytest.param(OTHER, IDP, OTHER, OTHER, id="a new JWT_ISSUER replaces the earlier one"),
        pytest.param("mock", IDP, MOCK_URL, None, id="JWT_ISSUER=mock goes back to mock_idp"),
        pytest.param(MOCK_URL, IDP, MOCK_URL, None, id="mock_idp's own URL is the same as mock"),
    ],
)
def test_issuer_in_force(
    tmp_path: Path, given: str, remembered: str | None, in_force: str, remembered_after: str | None
) -> None:
    if remembered:
        issuer.choice_path(config(tmp_path)).write_text(remembered + "\n")

    assert issuer.in_force(config(tmp_path, given)) == in_force

    path = issuer.choice_path(config(tmp_path))
    assert (path.read_text().strip() if path.exists() else None) == remembered_after


@pytest.mark.parametrize(
    "good",
    [
        "https://idp.example.com",
        "https://tenant.auth0.com/",  # iss must match exactly, and Auth0 issues it with the slash
        "https://login.example.org/realms/books",
        "https://idp.example.com:8443/oidc/",
        "http://127.0.0.1:4569",
        "http://localhost:8080/",
        "http://[::1]:4569",
    ],
)
def test_an_https_or_loopback_issuer_is_accepted_as_given(tmp_path: Path, good: str) -> None:
    assert issuer.in_force(config(tmp_path, good)) == good


@pytest.mark.parametrize(
    "bad",
    [
        "idp.example.com",
        "http://idp.example.com",  # plain http off loopback: tokens' keys fetched in the clear
        "http://127.0.0.1.example.com",
        "ftp://idp.example.com",
        "https://",
        "https://a b",
        "https:///x",
        "https://idp.example.com/?tenant=1",
        "https://idp.example.com/#frag",
    ],
)
def test_a_bad_jwt_issuer_is_a_one_line_error_and_keeps_the_earlier_choice(tmp_path: Path, bad: str) -> None:
    issuer.choice_path(config(tmp_path)).write_text(IDP + "\n")

    with pytest.raises(issuer.IssuerError) as raised:
        issuer.in_force(config(tmp_path, bad))

    message = str(raised.value)
    assert message.startswith("JWT_ISSUER must be an https URL") and "\n" not in message
    assert issuer.choice_path(config(tmp_path)).read_text().strip() == IDP


def test_the_issuer_rule_is_terraforms_character_for_character() -> None:
    variables = (Path(__file__).parents[3] / "terraform" / "variables.tf").read_text()
    block = variables[variables.index('variable "jwt_issuer"') :]
    (literal,) = re.findall(r'can\(regex\("((?:[^"\\\\]|\\\\.)*)", var\.jwt_issuer\)\)', block)[:1]
    assert json.loads(f'"{literal}"') == issuer.ISSUER_PATTERN  # HCL and JSON escape a backslash alike


def test_a_corrupt_remembered_choice_names_its_file(tmp_path: Path) -> None:
    path = issuer.choice_path(config(tmp_path))
    path.write_text("not a url\n")

    with pytest.raises(issuer.IssuerError, match=f"^{path} must be an https"):
        issuer.in_force(config(tmp_path))


def test_jwt_issuer_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_ISSUER", f" {IDP} ")
    assert StackConfig.from_env().jwt_issuer == IDP
    monkeypatch.setenv("JWT_ISSUER", "")
    assert StackConfig.from_env().jwt_issuer == ""


def test_local_up_refuses_a_bad_jwt_issuer_before_starting_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert up.up(config(tmp_path, "http://idp.example.com")) == 2

    err = capsys.readouterr().err
    assert err.startswith("local-up: JWT_ISSUER must be an https URL") and err.count("\n") == 1
    assert not (tmp_path / "pids").exists()


def test_the_var_file_and_stack_env_carry_the_issuer_in_force(tmp_path: Path) -> None:
    chosen = config(tmp_path, IDP)

    up.write_var_file(chosen, IDP)
    values = stack_env.stack_values(chosen, {}, IDP)

    variables = json.loads((chosen.terraform_dir / "local.tfvars.json").read_text())
    assert variables["jwt_issuer"] == IDP and variables["jwt_audience"] == "books-api"
    assert values["JWT_ISSUER"] == IDP
    assert values["ISSUER_URL"] == MOCK_URL and values["TOKEN_URL"] == MOCK_URL + "/oauth2/token"
    assert stack_env.stack_values(chosen, {})["JWT_ISSUER"] == MOCK_URL


@pytest.mark.parametrize(
    ("in_force", "shown"),
    [
        pytest.param(MOCK_URL, f"JWT issuer:     {MOCK_URL} (mock_idp)", id="mock_idp"),
        pytest.param(IDP, f"JWT issuer:     {IDP} (JWT_ISSUER; `JWT_ISSUER=mock make local-up`", id="chosen"),
    ],
)
def test_the_summary_names_the_issuer_in_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], in_force: str, shown: str
) -> None:
    up.print_summary(config(tmp_path), in_force)

    out = capsys.readouterr().out
    assert shown in out
    assert ("-m mock_idp token" in out) == (in_force == MOCK_URL)


@pytest.mark.parametrize(
    ("values", "refused"),
    [
        pytest.param({"ISSUER_URL": MOCK_URL, "JWT_ISSUER": MOCK_URL}, False, id="mock_idp in force"),
        pytest.param({"ISSUER_URL": IDP}, False, id="no JWT_ISSUER (an aws-deploy stack.env)"),
        pytest.param({"ISSUER_URL": MOCK_URL, "JWT_ISSUER": IDP}, True, id="another issuer in force"),
    ],
)
def test_e2e_knows_when_mock_idp_tokens_would_be_refused(values: dict[str, str], refused: bool) -> None:
    reason = stack_env.mock_tokens_refused(values)

    assert (reason is not None) == refused
    if reason:
        assert f"JWT_ISSUER={IDP}" in reason and "JWT_ISSUER=mock make local-up" in reason
