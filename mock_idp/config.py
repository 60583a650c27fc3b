"""mock_idp settings: the one place that reads its config file and environment, each with a local default."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """The configuration (file, environment or flags) is invalid; the message says which value and why."""


@dataclass(frozen=True)
class Client:
    """An OAuth client allowed the client_credentials grant."""

    client_id: str
    client_secret: str
    scopes: tuple[str, ...]


# Documented in README.md; contracts.md fixes these ids, secrets and scopes for local use.
DEFAULT_CLIENTS: tuple[Client, ...] = (
    Client("local-writer", "local-writer-secret", ("books:write", "books:read")),
    Client("local-reader", "local-reader-secret", ("books:read",)),
)

DEFAULT_PORT = 4569


@dataclass(frozen=True)
class Settings:
    """Everything the server, the CLI and bad_tokens need to know."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    # Exact issuer string (the `iss` claim). "" = http://<host>:<port>, with 127.0.0.1 for wildcard hosts.
    issuer: str = ""
    audience: str = "books-api"
    token_lifetime_seconds: int = 3600
    # Signing keys persist here as <kid>.pem plus keys.json, so tests can sign with the published key.
    key_dir: Path = Path(".local/mock_idp/keys")
    # How long a rotated-out key stays in the JWKS; as long as a token lives, so none is orphaned.
    key_overlap_seconds: float = 3600.0
    clients: tuple[Client, ...] = field(default=DEFAULT_CLIENTS)

    @property
    def resolved_issuer(self) -> str:
        if self.issuer:
            return self.issuer
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def client(self, client_id: str) -> Client | None:
        return next((c for c in self.clients if c.client_id == client_id), None)

    @property
    def all_scopes(self) -> list[str]:
        return sorted({scope for client in self.clients for scope in client.scopes})

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the non-None `changes` applied (command-line flags win over everything)."""
        settings = replace(self, **{k: v for k, v in changes.items() if v is not None})
        validate(settings)
        return settings

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, then MOCK_IDP_CONFIG_FILE (JSON), then MOCK_IDP_* variables."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        config_file = env.get("MOCK_IDP_CONFIG_FILE", "")
        if config_file:
            values.update(_read_config_file(Path(config_file)))
        readers: dict[str, tuple[str, Any]] = {
            "MOCK_IDP_HOST": ("host", str),
            "MOCK_IDP_PORT": ("port", int),
            "MOCK_IDP_ISSUER": ("issuer", str),
            "MOCK_IDP_AUDIENCE": ("audience", str),
            "MOCK_IDP_TOKEN_LIFETIME_SECONDS": ("token_lifetime_seconds", int),
            "MOCK_IDP_KEY_DIR": ("key_dir", Path),
            "MOCK_IDP_KEY_OVERLAP_SECONDS": ("key_overlap_seconds", float),
            "MOCK_IDP_CLIENTS": ("clients", lambda raw: _parse_clients(json.loads(raw), "MOCK_IDP_CLIENTS")),
        }
        for name, (attribute, convert) in readers.items():
            raw = env.get(name, "")
            if raw == "":
                continue
            try:
                values[attribute] = convert(raw)
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"{name}={raw!r} is invalid: {exc}") from None
        settings = cls(**values)
        validate(settings)
        return settings


_FILE_KEYS = {
    "host",
    "port",
    "issuer",
    "audience",
    "token_lifetime_seconds",
    "key_dir",
    "key_overlap_seconds",
}


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read MOCK_IDP_CONFIG_FILE {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"MOCK_IDP_CONFIG_FILE {path} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"MOCK_IDP_CONFIG_FILE {path} must hold a JSON object")
    unknown = set(document) - _FILE_KEYS - {"clients"}
    if unknown:
        raise ConfigError(f"MOCK_IDP_CONFIG_FILE {path}: unknown keys {sorted(unknown)}")
    values = {key: document[key] for key in _FILE_KEYS & set(document)}
    if "key_dir" in values:
        values["key_dir"] = Path(values["key_dir"])
    if "clients" in document:
        values["clients"] = _parse_clients(document["clients"], str(path))
    return values


def _parse_clients(raw: Any, source: str) -> tuple[Client, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{source}: clients must be a non-empty list of objects")
    clients = []
    for item in raw:
        if not isinstance(item, dict):
            raise ConfigError(f"{source}: each client must be an object, got {item!r}")
        client_id, secret, scopes = item.get("client_id"), item.get("client_secret"), item.get("scopes")
        if not isinstance(client_id, str) or not client_id or not isinstance(secret, str) or not secret:
            raise ConfigError(f"{source}: each client needs a non-empty client_id and client_secret")
        if isinstance(scopes, str):
            scopes = scopes.split()
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise ConfigError(f"{source}: client {client_id!r} scopes must be a list of strings")
        clients.append(Client(client_id, secret, tuple(scopes)))
    return tuple(clients)


def validate(settings: Settings) -> None:
    """Raise ConfigError for values the server cannot work with."""
    if not 0 < settings.port < 65536:
        raise ConfigError(f"port {settings.port} is out of range 1-65535")
    if settings.token_lifetime_seconds <= 0:
        raise ConfigError("token lifetime must be a positive number of seconds")
    if settings.key_overlap_seconds < 0:
        raise ConfigError("key overlap must not be negative")
    if not settings.audience:
        raise ConfigError("audience must not be empty")
    if settings.issuer:
        parts = urlsplit(settings.issuer)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ConfigError(f"issuer {settings.issuer!r} must be an http(s) URL without query or fragment")
    ids = [client.client_id for client in settings.clients]
    if len(ids) != len(set(ids)):
        raise ConfigError("client ids must be unique")
    for client in settings.clients:
        for scope in client.scopes:
            if not is_scope_token(scope):
                raise ConfigError(f"client {client.client_id!r} has an invalid scope {scope!r}")


def is_scope_token(value: str) -> bool:
    """RFC 6749 3.3 scope-token: 1*( %x21 / %x23-5B / %x5D-7E )."""
    return bool(value) and all(c == "\x21" or "\x23" <= c <= "\x5b" or "\x5d" <= c <= "\x7e" for c in value)
