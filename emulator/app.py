"""Wires the emulator's process: HTTP API gateway on `port`, Lambda Invoke API + health on `lambda_port`."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import signal
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from emulator.config import Settings

log = logging.getLogger(__name__)

READY_KEY: web.AppKey[dict[str, Any]] = web.AppKey("ready", dict)


def _client(settings: Settings, service: str, access_key: str = "test") -> Any:
    from emulator.aws_clients import client  # boto3 is slow to import: keep it off the startup path

    return client(settings, service, access_key)


async def health(request: web.Request) -> web.Response:
    state = request.app[READY_KEY]
    if not state.get("ready"):
        return web.json_response({"status": "starting"}, status=503)
    registry = state.get("api_registry")
    # What the gateway serves now, so a caller that just applied Terraform can wait for it to be picked up.
    apis = {api.id: sorted(api.stages) for api in registry.snapshot.apis.values()} if registry else {}
    control_plane = (
        {"url": state.get("control_plane_url", ""), **registry.control_plane_state()} if registry else {}
    )
    # 200 either way: the emulator itself is up (devstack would restart it on a 5xx); "degraded" says why
    # the gateway answers 503.
    return web.json_response(
        {
            "status": "ok" if control_plane.get("reachable") else "degraded",
            "uptime_seconds": round(time.monotonic() - state["started"], 3),
            **state.get("info", {}),
            "control_plane": control_plane,
            "apis": apis,
        }
    )


class Emulator:
    """Builds the Lambda runtime, log shipper, pollers and both servers; start() then stop()."""

    def __init__(self, settings: Settings, base_dir: Path | None = None) -> None:
        from emulator.event_sources.manager import EventSourceManager
        from emulator.lambdas.environment import ExecutionEnvironment
        from emulator.lambdas.environment_pool import EnvironmentPool
        from emulator.lambdas.executors import executor_factory
        from emulator.lambdas.function_registry import FunctionRegistry, boto3_fetcher
        from emulator.lambdas.invoker import LambdaInvoker
        from emulator.logs.shipper import CloudWatchLogShipper

        self.settings = settings
        base = base_dir or Path.cwd()
        self.log_sink = CloudWatchLogShipper(lambda: _client(settings, "logs"), settings.log_flush_seconds)
        make_executor = executor_factory(settings, base)
        fetch_holder: dict[str, Any] = {}

        def fetch(name: str) -> Any:
            if "fetch" not in fetch_holder:
                fetch_holder["fetch"] = boto3_fetcher(_client(settings, "lambda"))
            return fetch_holder["fetch"](name)

        self.registry = FunctionRegistry(fetch, settings.refresh_seconds)
        credentials = None
        role_clients = None
        if settings.iam_mode != "off":
            from emulator.lambdas.role_credentials import (
                LAMBDA_SERVICE_ACCESS_KEY,
                RoleCredentials,
                RoleSessions,
            )

            credentials = RoleCredentials(lambda: _client(settings, "sts", LAMBDA_SERVICE_ACCESS_KEY))
            role_clients = RoleSessions(self.registry.get, credentials, self._session_client)
        self.pool = EnvironmentPool(
            lambda config: ExecutionEnvironment(config, make_executor(), self.log_sink, credentials),
            settings.max_concurrency,
            max_starting=settings.max_starting,
            cold_start_grace_seconds=settings.cold_start_grace_seconds,
        )
        self.invoker = LambdaInvoker(self.registry, self.pool)
        self.event_sources = EventSourceManager(
            settings, self.invoker, lambda service: _client(settings, service), role_clients
        )
        self._runners: list[web.AppRunner] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._state: dict[str, Any] = {"ready": False, "started": time.monotonic()}

    def _session_client(self, service: str, session: dict[str, str]) -> Any:
        from emulator.aws_clients import session_client

        return session_client(self.settings, service, session)

    def lambda_app(self) -> web.Application:
        from emulator.lambdas.invoke_api import add_routes

        app = web.Application(client_max_size=7 * 1024 * 1024)
        app[READY_KEY] = self._state
        app.router.add_get("/_emulator/health", health)
        add_routes(app, self.invoker)
        return app

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        # boto3 calls run in threads (registry, pollers); the default pool is too small on 2 cores.
        loop.set_default_executor(
            concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="aws")
        )
        from emulator.apigw.http_errors import GatewayRunner
        from emulator.gateway import REGISTRY_KEY, create_gateway_app

        gateway = create_gateway_app(self.settings, self.invoker, self.log_sink)
        self._state["api_registry"] = gateway[REGISTRY_KEY]
        self._state["control_plane_url"] = self.settings.control_plane_url
        servers = (
            (GatewayRunner, gateway, self.settings.port),
            (web.AppRunner, self.lambda_app(), self.settings.lambda_port),
        )
        for runner_class, app, port in servers:
            runner = runner_class(app, access_log=None, handle_signals=False)
            await runner.setup()
            await web.TCPSite(runner, self.settings.host, port, reuse_address=True).start()
            self._runners.append(runner)
        self._tasks.append(asyncio.create_task(self.registry.refresh_forever(), name="function-refresh"))
        self._tasks.append(asyncio.create_task(self.event_sources.run(), name="event-sources"))
        self._state["info"] = {
            "gateway": f"http://{self.settings.host}:{self.settings.port}",
            "lambda": f"http://{self.settings.host}:{self.settings.lambda_port}",
            "executor": self.settings.executor,
            "iam_mode": self.settings.iam_mode,
        }
        self._state["ready"] = True
        log.info(
            "emulator ready: gateway %s:%d, lambda %s:%d, control plane %s",
            self.settings.host,
            self.settings.port,
            self.settings.host,
            self.settings.lambda_port,
            self.settings.control_plane_url,
        )

    async def stop(self) -> None:
        self._state["ready"] = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        await self.event_sources.stop()
        await self.invoker.shutdown()
        for runner in reversed(self._runners):
            await runner.cleanup()
        await asyncio.to_thread(self.log_sink.close)


async def serve(settings: Settings, base_dir: Path | None = None) -> None:
    """Run until SIGINT/SIGTERM."""
    emulator = Emulator(settings, base_dir)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await emulator.start()
    try:
        await stop.wait()
    finally:
        log.info("emulator stopping")
        await emulator.stop()
