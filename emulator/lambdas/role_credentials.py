"""Execution-role credentials for a new environment: STS AssumeRole as the Lambda service principal.

Lambda assumes the function's execution role and passes the session to the runtime as AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (lambda/latest/dg/configuration-envvars.html). Here the
emulator signs AssumeRole with the control plane's Lambda-service key, so the control plane checks the
role's trust policy for lambda.amazonaws.com, and then authorizes every call signed with the session.

A role Lambda cannot assume fails the cold start with the message CreateFunction gives on AWS for such a
role; AWS documents no Invoke error of its own for a trust policy changed after creation (an emulator
choice, in emulator/README.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botocore.exceptions import ClientError

from emulator.lambdas.function_registry import FunctionConfig

log = logging.getLogger(__name__)

# The access key the control plane's IAM gate treats as the Lambda service (controlplane/iam_gate.py).
LAMBDA_SERVICE_ACCESS_KEY = "LAMBDASERVICEPRINCIPAL"
NOT_ASSUMABLE = "The role defined for the function cannot be assumed by Lambda."
# AssumeRole's default session length; an environment that outlives it keeps its keys, which the control
# plane does not expire (Lambda refreshes them; nothing here needs to).
SESSION_SECONDS = 3600


class RoleNotAssumable(Exception):
    """The control plane refused to let the Lambda service assume the function's role."""


class RoleCredentials:
    """`await credentials(config)`: the environment variables of a fresh session of config.role."""

    def __init__(self, sts_client_factory: Callable[[], Any]) -> None:
        self._client_factory = sts_client_factory
        self._client: Any = None

    async def __call__(self, config: FunctionConfig) -> dict[str, str]:
        return await asyncio.to_thread(self._assume, config)

    def _assume(self, config: FunctionConfig) -> dict[str, str]:
        if not config.role:
            raise RoleNotAssumable(f"{NOT_ASSUMABLE} (the function has no role)")
        if self._client is None:
            self._client = self._client_factory()
        try:
            response = self._client.assume_role(
                RoleArn=config.role,
                RoleSessionName=config.name[:64],
                DurationSeconds=SESSION_SECONDS,
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("AccessDenied", "AccessDeniedException"):
                raise RoleNotAssumable(NOT_ASSUMABLE) from exc
            raise
        creds = response["Credentials"]
        return {
            "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"],
        }


class RoleSessions:
    """`await sessions(function_arn)`: a client factory signed with one session of the function's role.

    For what Lambda does as the role outside the function, its event source mappings. One session per
    (function, role) is kept: a policy edit applies at once (the control plane evaluates every call),
    and a function given another role gets a new session.
    """

    def __init__(
        self,
        config_of: Callable[[str], Awaitable[FunctionConfig | None]],
        credentials: Callable[[FunctionConfig], Awaitable[dict[str, str]]],
        make_client: Callable[[str, dict[str, str]], Any],
    ) -> None:
        self._config_of = config_of
        self._credentials = credentials
        self._make_client = make_client
        self._sessions: dict[tuple[str, str], dict[str, str]] = {}

    async def __call__(self, function_arn: str) -> Callable[[str], Any]:
        config = await self._config_of(function_arn)
        if config is None:
            raise LookupError(f"Function not found: {function_arn}")
        key = (config.name, config.role)
        session = self._sessions.get(key)
        if session is None:
            session = await self._credentials(config)
            self._sessions[key] = session
        return lambda service: self._make_client(service, session)
