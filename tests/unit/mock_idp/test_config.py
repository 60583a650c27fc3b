"""Settings from defaults, a JSON config file and MOCK_IDP_* variables, with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mock_idp.config import Client, ConfigError, Settings


def test_defaults_are_the_documented_local_clients_and_audience() -> None:
    settings = Settings.from_env({})

    assert settings.resolved_issuer == "http://127.0.0.1:4569"
    assert settings.audience == "books-api"
    assert settings.client("local-writer") == Client(
        "local-writer", "local-writer-secret", ("books:write", "books:read")
    )
    assert settings.client("local-reader") == Client("local-reader", "local-reader-secret", ("books:read",))


def test_wildcard_bind_address_gives_a_loopback_issuer() -> None:
    assert Settings.from_env({"MOCK_IDP_HOST": "0.0.0.0", "MOCK_IDP_PORT": "5000"}).resolved_issuer == (
        "http://127.0.0.1:5000"
    )


def test_environment_overrides_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "idp.json"
    config.write_text(
        json.dumps(
            {
                "audience": "file-aud",
                "token_lifetime_seconds": 60,
                "clients": [{"client_id": "ci", "client_secret": "s", "scopes": "books:read books:write"}],
            }
        )
    )

    settings = Settings.from_env(
        {
            "MOCK_IDP_CONFIG_FILE": str(config),
            "MOCK_IDP_AUDIENCE": "env-aud",
            "MOCK_IDP_KEY_OVERLAP_SECONDS": "1.5",
        }
    )

    assert settings.audience == "env-aud"
    assert settings.token_lifetime_seconds == 60
    assert settings.key_overlap_seconds == 1.5
    assert settings.clients == (Client("ci", "s", ("books:read", "books:write")),)


def test_clients_can_come_from_the_environment_as_json() -> None:
    raw = json.dumps([{"client_id": "a", "client_secret": "b", "scopes": ["x:y"]}])

    assert Settings.from_env({"MOCK_IDP_CLIENTS": raw}).clients == (Client("a", "b", ("x:y",)),)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MOCK_IDP_PORT": "http"}, "MOCK_IDP_PORT"),
        ({"MOCK_IDP_PORT": "70000"}, "out of range"),
        ({"MOCK_IDP_ISSUER": "mock-idp:4569"}, "http"),
        ({"MOCK_IDP_ISSUER": "http://idp/?x=1"}, "query"),
        ({"MOCK_IDP_TOKEN_LIFETIME_SECONDS": "0"}, "lifetime"),
        ({"MOCK_IDP_CLIENTS": "[]"}, "non-empty"),
        (
            {"MOCK_IDP_CLIENTS": '[{"client_id": "a", "client_secret": "b", "scopes": ["bad scope\\""]}]'},
            "scope",
        ),
        ({"MOCK_IDP_CONFIG_FILE": "/nonexistent/idp.json"}, "cannot read"),
    ],
)
def test_invalid_settings_are_clear_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_unknown_config_file_keys_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "idp.json"
    config.write_text(json.dumps({"audiense": "typo"}))

    with pytest.raises(ConfigError, match="unknown keys"):
        Settings.from_env({"MOCK_IDP_CONFIG_FILE": str(config)})
