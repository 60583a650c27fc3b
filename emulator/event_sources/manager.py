"""Starts and stops one stream poller per enabled DynamoDB event source mapping, as mappings change.

A mapping reads its stream and sends to its on-failure destination with the function's execution role,
as Lambda does, when the emulator is given `role_clients`; otherwise with the control plane's static keys.
The poller calls dynamodb:DescribeStream, GetShardIterator and GetRecords, and sqs:SendMessage for a queue
destination (Lambda also documents ListStreams: lambda/latest/dg/services-dynamodb-eventsourcemapping.html).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from emulator.config import Settings
from emulator.event_sources import failure_destination
from emulator.event_sources.dynamodb_stream_poller import DynamoDBStreamPoller, MappingConfig
from emulator.invocation import Invoker

log = logging.getLogger(__name__)

ACTIVE_STATES = {"Enabled", "Enabling", "Updating", "Creating"}
# function ARN -> a client factory (service name -> boto3 client) signed with that function's role session.
RoleClients = Callable[[str], Awaitable[Callable[[str], Any]]]


def is_dynamodb_stream(arn: str) -> bool:
    return arn.startswith("arn:") and ":dynamodb:" in arn and "/stream/" in arn


class EventSourceManager:
    """Reconciles running pollers with lambda list_event_source_mappings every refresh interval."""

    def __init__(
        self,
        settings: Settings,
        invoker: Invoker,
        client_factory: Callable[[str], Any],
        role_clients: RoleClients | None = None,
    ) -> None:
        self._settings = settings
        self._invoker = invoker
        self._clients = client_factory
        self._role_clients = role_clients
        self._pollers: dict[str, tuple[MappingConfig, DynamoDBStreamPoller, asyncio.Task[None]]] = {}
        self._checkpoints: dict[str, dict[str, str | None]] = {}

    def running(self) -> dict[str, MappingConfig]:
        return {uuid: entry[0] for uuid, entry in self._pollers.items()}

    def _list_mappings(self) -> list[dict[str, Any]]:
        client = self._clients("lambda")
        mappings: list[dict[str, Any]] = []
        for page in client.get_paginator("list_event_source_mappings").paginate():
            mappings.extend(page.get("EventSourceMappings", []))
        return mappings

    async def _clients_for(self, config: MappingConfig) -> Callable[[str], Any]:
        """The clients a mapping acts with: its function's role session, else the static keys."""
        if self._role_clients is None:
            return self._clients
        return await self._role_clients(config.function_arn)

    async def _send_failure(self, config: MappingConfig, destination: str, document: dict[str, Any]) -> None:
        try:
            clients = await self._clients_for(config)
            await asyncio.to_thread(failure_destination.send, clients, destination, document)
        except Exception as exc:
            # A denied SendMessage is the role's fault, not a crash: one line that says which call failed.
            log.warning(
                "mapping %s: could not deliver a failed-batch record to %s: %s", config.uuid, destination, exc
            )

    async def sync(self) -> None:
        """One reconciliation: start new/enabled mappings, restart changed ones, stop the rest."""
        wanted: dict[str, MappingConfig] = {}
        mappings = await asyncio.to_thread(self._list_mappings)
        known = {mapping.get("UUID") for mapping in mappings}
        for mapping in mappings:
            if mapping.get("State", "Enabled") in ACTIVE_STATES and is_dynamodb_stream(
                mapping.get("EventSourceArn", "")
            ):
                config = MappingConfig.from_api(mapping)
                wanted[config.uuid] = config
        for uuid in list(self._pollers):
            if uuid not in wanted or wanted[uuid] != self._pollers[uuid][0]:
                self._checkpoints[uuid] = await self._stop(uuid)
        for uuid in list(self._checkpoints):
            if uuid not in wanted and uuid not in known:
                del self._checkpoints[uuid]  # mapping deleted: forget where it was
        for uuid, config in wanted.items():
            if uuid not in self._pollers:
                # An updated or re-enabled mapping resumes where it stopped.
                self._start(config, self._checkpoints.get(uuid))

    def _start(self, config: MappingConfig, checkpoints: dict[str, str | None] | None = None) -> None:
        async def streams() -> Any:
            return (await self._clients_for(config))("dynamodbstreams")

        async def send_failure(destination: str, document: dict[str, Any]) -> None:
            await self._send_failure(config, destination, document)

        poller = DynamoDBStreamPoller(
            config, streams, self._invoker.invoke, send_failure, self._settings.region
        )
        if checkpoints:
            poller.adopt(checkpoints)
        task = asyncio.create_task(poller.run(), name=f"poller-{config.uuid}")
        self._pollers[config.uuid] = (config, poller, task)
        log.info("polling %s for %s (mapping %s)", config.stream_arn, config.function_arn, config.uuid)

    async def _stop(self, uuid: str) -> dict[str, str | None]:
        _config, poller, task = self._pollers.pop(uuid)
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        log.info("stopped polling for mapping %s", uuid)
        return poller.checkpoints()

    async def run(self) -> None:
        """Reconcile now, then every refresh interval, until cancelled."""
        failing = False
        while True:
            try:
                await self.sync()
                failing = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # One line per outage (moto down), not one every refresh interval.
                log.log(
                    logging.DEBUG if failing else logging.WARNING,
                    "listing event source mappings failed: %s",
                    exc,
                )
                failing = True
            await asyncio.sleep(self._settings.refresh_seconds)

    async def stop(self) -> None:
        for uuid in list(self._pollers):
            await self._stop(uuid)
