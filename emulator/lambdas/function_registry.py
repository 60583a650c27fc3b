"""Function configurations read from the control plane, cached, refreshed in the background."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FunctionConfig:
    """What the runtime needs to know about one function ($LATEST)."""

    name: str
    arn: str
    image_uri: str
    handler: str
    role: str = ""  # the execution role's ARN
    environment: dict[str, str] = field(default_factory=dict)
    timeout: float = 3.0
    memory_size: int = 128
    # PutFunctionConcurrency's cap on execution environments; None = unreserved (the account's limit).
    # Not part of `revision`: changing it does not make warm environments stale.
    reserved_concurrency: int | None = None
    # Anything that, when changed by a new deployment, makes warm environments stale.
    revision: tuple[str, ...] = ()

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"


def function_name(reference: str) -> str:
    """The bare name from a function name, partial ARN, or (qualified) ARN."""
    parts = reference.split(":")
    if reference.startswith("arn:") and len(parts) >= 7:
        return parts[6]
    if len(parts) >= 3 and parts[1] == "function":  # <account>:function:<name>[:qualifier]
        return parts[2]
    return parts[0]  # <name>[:qualifier]


def reserved_concurrency_of(response: dict[str, Any]) -> int | None:
    """GetFunction's Concurrency.ReservedConcurrentExecutions (or a GetFunctionConcurrency answer's)."""
    value = (response.get("Concurrency") or response).get("ReservedConcurrentExecutions")
    return None if value is None else int(value)


def config_from_get_function(response: dict[str, Any]) -> FunctionConfig:
    """Build a FunctionConfig from a lambda get_function response (ImageUri, never ResolvedImageUri)."""
    conf = response["Configuration"]
    image_uri = response.get("Code", {}).get("ImageUri", "")
    command = conf.get("ImageConfigResponse", {}).get("ImageConfig", {}).get("Command") or []
    handler = command[0] if command else conf.get("Handler", "")
    environment = dict(conf.get("Environment", {}).get("Variables") or {})
    timeout = float(conf.get("Timeout", 3))
    memory = int(conf.get("MemorySize", 128))
    revision = (
        image_uri,
        handler,
        repr(sorted(environment.items())),
        str(timeout),
        str(memory),
        conf.get("CodeSha256", ""),
        conf.get("LastModified", ""),
        conf.get("RevisionId", ""),
        conf.get("Role", ""),
    )
    return FunctionConfig(
        name=conf["FunctionName"],
        arn=conf["FunctionArn"],
        image_uri=image_uri,
        handler=handler,
        role=conf.get("Role", ""),
        environment=environment,
        timeout=timeout,
        memory_size=memory,
        reserved_concurrency=reserved_concurrency_of(response),
        revision=revision,
    )


def boto3_fetcher(lambda_client: Any) -> Callable[[str], FunctionConfig | None]:
    """A blocking fetch(name) over a boto3 lambda client; None when the function does not exist."""

    def fetch(name: str) -> FunctionConfig | None:
        try:
            response = lambda_client.get_function(FunctionName=name)
            if "Concurrency" not in response:
                # moto 5.2.5 leaves Concurrency out of GetFunction when the reservation is 0 (a falsy
                # check), so ask GetFunctionConcurrency, which reports 0 as 0.
                response = {
                    **response,
                    "Concurrency": lambda_client.get_function_concurrency(FunctionName=name),
                }
            return config_from_get_function(response)
        except lambda_client.exceptions.ResourceNotFoundException:
            return None

    return fetch


ChangeListener = Callable[[str, FunctionConfig | None], Awaitable[None] | None]


class FunctionRegistry:
    """Caches configurations by name; `refresh_forever` re-reads them and reports changes."""

    def __init__(self, fetch: Callable[[str], FunctionConfig | None], refresh_seconds: float = 2.0) -> None:
        self._fetch = fetch
        self._refresh_seconds = refresh_seconds
        self._configs: dict[str, FunctionConfig] = {}
        self._inflight: dict[str, asyncio.Future[FunctionConfig | None]] = {}
        self._listeners: list[ChangeListener] = []
        self._failing = False

    def on_change(self, listener: ChangeListener) -> None:
        """Call listener(name, new_config_or_None) when a function changes or disappears."""
        self._listeners.append(listener)

    def cached(self, reference: str) -> FunctionConfig | None:
        return self._configs.get(function_name(reference))

    async def get(self, reference: str) -> FunctionConfig | None:
        """The cached configuration; the first request for a name reads it from the control plane."""
        name = function_name(reference)
        config = self._configs.get(name)
        if config is not None:
            return config
        pending = self._inflight.get(name)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[FunctionConfig | None] = asyncio.get_running_loop().create_future()
        self._inflight[name] = future
        try:
            config = await asyncio.to_thread(self._fetch, name)
            if config is not None:
                self._configs[name] = config
            future.set_result(config)
            return config
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here so a lone waiter-less failure is not reported twice
            raise
        finally:
            del self._inflight[name]

    async def refresh_once(self) -> None:
        """Re-read every cached function; notify listeners of changed or deleted ones."""
        for name in list(self._configs):
            try:
                new = await asyncio.to_thread(self._fetch, name)
            except Exception as exc:
                # One line per outage, not a traceback per function every refresh while moto is down.
                log.log(
                    logging.DEBUG if self._failing else logging.WARNING,
                    "refreshing function %s failed; keeping the cached configurations: %s",
                    name,
                    exc,
                )
                self._failing = True
                continue
            self._failing = False
            old = self._configs.get(name)
            if new is None:  # gone from the control plane (deleted, or moto restarted empty)
                self._configs.pop(name, None)
            elif old is None or new.revision != old.revision:
                self._configs[name] = new
            else:
                # Same deployment: keep warm environments, but serve settings such as the reserved
                # concurrency as they are now.
                self._configs[name] = new
                continue
            log.info(
                "function %s %s", name, "deleted" if new is None else "changed: retiring warm environments"
            )
            for listener in self._listeners:
                outcome = listener(name, new)
                if outcome is not None:
                    await outcome

    async def refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_seconds)
            await self.refresh_once()
