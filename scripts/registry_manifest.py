"""What a registry holds under one tag: its manifest digest and image config digest (Docker Registry HTTP API v2).

    registry_manifest.py <registry host[:port]> <repository name> <tag>

Prints one line for the shell: `<digest> <config> <media type>`, each `-` when absent.
`digest` is the registry's Docker-Content-Digest for the tag (`-`: the tag does not exist); `config` is the
manifest's config digest, which equals the local image ID of the image that was pushed, so a caller can tell
"same content" from "different content" before pushing. Any other failure exits 1 with a one-line message.

Plain HTTP for loopback registries (127.0.0.1, localhost, [::1]) or when REGISTRY_INSECURE=1, HTTPS otherwise.
Credentials: REGISTRY_USERNAME/REGISTRY_PASSWORD, else the `auths` entry of ~/.docker/config.json; a Basic or a
Bearer (token server) challenge is answered with them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sys
from pathlib import Path

import requests

MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
)
INDEX_TYPES = MANIFEST_TYPES[2:]
TIMEOUT = 30


class RegistryError(RuntimeError):
    """The registry could not be asked; the message says why."""


def base_url(host: str) -> str:
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    loopback = name in ("127.0.0.1", "localhost", "[::1]")
    insecure = loopback or os.environ.get("REGISTRY_INSECURE") == "1"
    return f"{'http' if insecure else 'https'}://{host}"


def credentials(host: str) -> tuple[str, str] | None:
    user, password = os.environ.get("REGISTRY_USERNAME"), os.environ.get("REGISTRY_PASSWORD")
    if user and password:
        return user, password
    config = Path(os.environ.get("DOCKER_CONFIG", Path.home() / ".docker")) / "config.json"
    try:
        auth = json.loads(config.read_text()).get("auths", {}).get(host, {}).get("auth")
    except (OSError, ValueError):
        return None
    if not auth:
        return None
    user, _, password = base64.b64decode(auth).decode().partition(":")
    return user, password


def challenge_auth(response: requests.Response, creds: tuple[str, str] | None, scope: str) -> dict[str, str]:
    """Authorization header answering a 401's WWW-Authenticate challenge."""
    challenge = response.headers.get("WWW-Authenticate", "")
    scheme = challenge.split(" ", 1)[0].lower()
    if scheme == "basic":
        if creds is None:
            raise RegistryError("the registry wants credentials: log in first (docker login)")
        token = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    if scheme == "bearer":
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.pop("realm", "")
        params.setdefault("scope", scope)
        reply = requests.get(realm, params=params, auth=creds, timeout=TIMEOUT)
        if reply.status_code != 200:
            raise RegistryError(
                f"token server {realm} answered {reply.status_code}: log in first (docker login)"
            )
        body = reply.json()
        return {"Authorization": f"Bearer {body.get('token') or body.get('access_token')}"}
    raise RegistryError(f"unsupported registry auth challenge {challenge!r}")


def manifest(host: str, name: str, tag: str) -> dict[str, str | None]:
    url = f"{base_url(host)}/v2/{name}/manifests/{tag}"
    headers = {"Accept": ", ".join(MANIFEST_TYPES)}
    try:
        response = requests.get(url, headers=headers, timeout=TIMEOUT)
        if response.status_code == 401:
            auth = challenge_auth(response, credentials(host), f"repository:{name}:pull")
            response = requests.get(url, headers={**headers, **auth}, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise RegistryError(f"cannot reach {url}: {exc.__class__.__name__}") from None
    if response.status_code == 404:
        return {"digest": None, "config": None, "media_type": None}
    if response.status_code != 200:
        raise RegistryError(f"GET {url} answered {response.status_code}: {response.text[:200].strip()}")
    digest = (
        response.headers.get("Docker-Content-Digest")
        or "sha256:" + hashlib.sha256(response.content).hexdigest()
    )
    body = response.json()
    media_type = body.get("mediaType") or response.headers.get("Content-Type", "").split(";")[0]
    config = None if media_type in INDEX_TYPES else body.get("config", {}).get("digest")
    return {"digest": digest, "config": config, "media_type": media_type}


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write("usage: registry_manifest.py <registry host[:port]> <repository name> <tag>\n")
        return 2
    try:
        found = manifest(*argv)
        fields = (found["digest"], found["config"], found["media_type"])
        sys.stdout.write(" ".join(value or "-" for value in fields) + "\n")
    except RegistryError as exc:
        sys.stderr.write(f"registry: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
