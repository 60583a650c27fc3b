"""Polls one DynamoDB stream for one event source mapping and delivers batches at least once."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.event_sources.failure_destination import invocation_record
from emulator.event_sources.stream_records import arrival_seconds, build_event, sequence_number
from emulator.invocation import InvocationResult, InvocationStatus

log = logging.getLogger(__name__)

# First wait after an empty page: a write during it waits that long to be projected (lag). AWS polls a
# shard four times a second; locally the first empty polls come sooner, then back off to the same rate.
IDLE_POLL_SECONDS = 0.025
MAX_IDLE_POLL_SECONDS = 0.25
MAX_RETRY_DELAY_SECONDS = 2.0
# First wait after Lambda throttles a batch; doubled on each throttle in a row, up to MAX_RETRY_DELAY_SECONDS.
THROTTLE_DELAY_SECONDS = 0.1

InvokeFn = Callable[[str, bytes], Awaitable[InvocationResult]]
FailureFn = Callable[[str, dict[str, Any]], Awaitable[None]]
Blocking = Callable[..., Any]


@dataclass(frozen=True)
class MappingConfig:
    """The parts of an event source mapping a stream poller uses."""

    uuid: str
    function_arn: str
    stream_arn: str
    batch_size: int = 100
    starting_position: str = "LATEST"
    report_batch_item_failures: bool = False
    bisect_on_error: bool = False
    maximum_retry_attempts: int = -1  # -1: until the record expires
    maximum_record_age_seconds: int = -1
    on_failure_destination: str | None = None

    @classmethod
    def from_api(cls, mapping: dict[str, Any]) -> MappingConfig:
        return cls(
            uuid=mapping["UUID"],
            function_arn=mapping["FunctionArn"],
            stream_arn=mapping["EventSourceArn"],
            batch_size=int(mapping.get("BatchSize") or 100),
            starting_position=mapping.get("StartingPosition") or "LATEST",
            report_batch_item_failures="ReportBatchItemFailures"
            in (mapping.get("FunctionResponseTypes") or []),
            bisect_on_error=bool(mapping.get("BisectBatchOnFunctionError")),
            maximum_retry_attempts=_int_or(mapping.get("MaximumRetryAttempts"), -1),
            maximum_record_age_seconds=_int_or(mapping.get("MaximumRecordAgeInSeconds"), -1),
            on_failure_destination=(mapping.get("DestinationConfig") or {})
            .get("OnFailure", {})
            .get("Destination")
            or None,
        )


def _int_or(value: Any, default: int) -> int:
    return default if value is None else int(value)


def first_failed_index(
    records: list[dict[str, Any]], result: InvocationResult, report_item_failures: bool
) -> int | None:
    """None when the batch succeeded; else the index to retry from (0 = the whole batch failed)."""
    if result.status is not InvocationStatus.OK:
        return 0
    if not report_item_failures:
        return None
    try:
        response = json.loads(result.payload or b"null")
    except ValueError:
        return None  # not JSON: no batchItemFailures, so a success as far as the mapping is concerned
    failures = response.get("batchItemFailures") if isinstance(response, dict) else None
    if not failures:
        return None
    index_of = {sequence_number(record): i for i, record in enumerate(records)}
    indexes = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or str(identifier) not in index_of:
            return 0  # an empty, null or unknown itemIdentifier fails the whole batch
        indexes.append(index_of[str(identifier)])
    return min(indexes)


@dataclass
class BatchDelivery:
    """Delivers one batch: retries, bisection, partial-failure checkpoints and the on-failure destination."""

    mapping: MappingConfig
    shard_id: str
    invoke: InvokeFn
    on_failure: FailureFn
    region: str = "us-east-1"
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    invocations: int = field(default=0, init=False)

    async def deliver(self, records: list[dict[str, Any]], checkpoint: Callable[[str], None]) -> None:
        """Return once every record was delivered or handed to the on-failure destination."""
        pending: deque[tuple[list[dict[str, Any]], int]] = deque([(records, 0)])
        throttled = 0  # throttles in a row: the backoff exponent
        while pending:
            batch, retries = pending.popleft()
            if self._too_old(batch[0]):
                await self._discard(batch, "RecordAgeExceeded", "", retries, None)
                checkpoint(sequence_number(batch[-1]))
                continue
            payload = json.dumps(build_event(batch, self.mapping.stream_arn, self.region)).encode()
            self.invocations += 1
            result = await self.invoke(self.mapping.function_arn, payload)
            if result.status in (InvocationStatus.THROTTLED, InvocationStatus.NOT_FOUND):
                # The function did not run, so this is no function error: MaximumRetryAttempts counts
                # "retries when the function returns an error" (API_EventSourceMappingConfiguration). Back
                # off and retry the same batch; only the record age (MaximumRecordAgeInSeconds) ends it.
                if not throttled:  # once per streak: a reservation of 0 would log every 2 s otherwise
                    log.info(
                        "mapping %s: %s %s; backing off and retrying the batch from %s",
                        self.mapping.uuid,
                        self.mapping.function_arn,
                        result.status.value,
                        sequence_number(batch[0]),
                    )
                await self.sleep(min(THROTTLE_DELAY_SECONDS * 2**throttled, MAX_RETRY_DELAY_SECONDS))
                throttled += 1
                pending.appendleft((batch, retries))
                continue
            throttled = 0
            failed = first_failed_index(batch, result, self.mapping.report_batch_item_failures)
            if failed is None:
                checkpoint(sequence_number(batch[-1]))
                continue
            if failed > 0:
                checkpoint(sequence_number(batch[failed - 1]))
            remaining = batch[failed:]
            function_error = result.function_error if result.status is not InvocationStatus.OK else None
            if function_error and self.mapping.bisect_on_error and len(remaining) > 1:
                half = len(remaining) // 2  # splitting does not count against MaximumRetryAttempts
                pending.appendleft((remaining[half:], retries))
                pending.appendleft((remaining[:half], retries))
                continue
            limit = self.mapping.maximum_retry_attempts
            if limit >= 0 and retries >= limit:
                await self._discard(
                    remaining, "RetryAttemptsExhausted", result.request_id, retries, function_error
                )
                checkpoint(sequence_number(remaining[-1]))
                continue
            await self.sleep(min(0.05 * 2**retries, MAX_RETRY_DELAY_SECONDS))
            pending.appendleft((remaining, retries + 1))

    def _too_old(self, record: dict[str, Any]) -> bool:
        # -1 means "until the record expires": DynamoDB streams keep records for 24 hours.
        limit = (
            self.mapping.maximum_record_age_seconds if self.mapping.maximum_record_age_seconds >= 0 else 86400
        )
        arrived = arrival_seconds(record)
        return limit >= 0 and arrived is not None and time.time() - arrived > limit

    async def _discard(
        self,
        records: list[dict[str, Any]],
        condition: str,
        request_id: str,
        retries: int,
        function_error: str | None,
    ) -> None:
        log.warning(
            "mapping %s: discarding %d record(s) %s..%s (%s)",
            self.mapping.uuid,
            len(records),
            sequence_number(records[0]),
            sequence_number(records[-1]),
            condition,
        )
        if not self.mapping.on_failure_destination:
            return
        document = invocation_record(
            request_id=request_id,
            function_arn=self.mapping.function_arn,
            condition=condition,
            invoke_count=retries + 1,
            function_error=function_error,
            shard_id=self.shard_id,
            stream_arn=self.mapping.stream_arn,
            records=records,
        )
        await self.on_failure(self.mapping.on_failure_destination, document)


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None = None
    checkpoint: str | None = None  # last sequence number delivered or discarded


class DynamoDBStreamPoller:
    """Reads every shard of the stream through dynamodbstreams and hands batches to BatchDelivery."""

    def __init__(
        self,
        mapping: MappingConfig,
        streams_client: Callable[[], Awaitable[Any]],
        invoke: InvokeFn,
        on_failure: FailureFn,
        region: str,
    ):
        self.mapping = mapping
        self._streams = streams_client  # resolved per call: the mapping's role session may change
        self._invoke = invoke
        self._on_failure = on_failure
        self._region = region
        self._shards: dict[str, _Shard] = {}
        self._finished: set[str] = set()  # closed shards read to their end
        self._last_describe = 0.0

    def checkpoints(self) -> dict[str, str | None]:
        return {shard.shard_id: shard.checkpoint for shard in self._shards.values()}

    def adopt(self, checkpoints: dict[str, str | None]) -> None:
        """Continue where a previous poller of the same mapping stopped (mapping updated)."""
        for shard_id, checkpoint in checkpoints.items():
            self._shards[shard_id] = _Shard(shard_id, checkpoint=checkpoint)

    async def _call(self, method: str, **kwargs: Any) -> Any:
        client = await self._streams()
        return await asyncio.to_thread(getattr(client, method), **kwargs)

    async def _refresh_shards(self) -> None:
        if self._shards and time.monotonic() - self._last_describe < 10.0:
            return
        description = (await self._call("describe_stream", StreamArn=self.mapping.stream_arn))[
            "StreamDescription"
        ]
        self._last_describe = time.monotonic()
        for shard in description.get("Shards", []):
            if shard["ShardId"] not in self._finished:
                self._shards.setdefault(shard["ShardId"], _Shard(shard["ShardId"]))

    async def _iterator(self, shard: _Shard) -> str:
        if shard.iterator is None:
            kwargs: dict[str, Any] = {"StreamArn": self.mapping.stream_arn, "ShardId": shard.shard_id}
            if shard.checkpoint is not None:
                kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=shard.checkpoint)
            else:
                kwargs.update(ShardIteratorType=self.mapping.starting_position)
            shard.iterator = (await self._call("get_shard_iterator", **kwargs))["ShardIterator"]
        return shard.iterator

    async def poll_once(self) -> int:
        """Read and deliver at most one batch per shard; the number of records delivered."""
        await self._refresh_shards()
        delivered = 0
        for shard in list(self._shards.values()):
            iterator = await self._iterator(shard)
            try:
                page = await self._call("get_records", ShardIterator=iterator, Limit=self.mapping.batch_size)
            except Exception as exc:
                if "ExpiredIterator" in type(exc).__name__ or "TrimmedDataAccess" in type(exc).__name__:
                    shard.iterator = None
                    continue
                raise
            records = page.get("Records", [])
            if records:

                def advance(sequence: str, shard: _Shard = shard) -> None:
                    shard.checkpoint = sequence

                delivery = BatchDelivery(
                    self.mapping, shard.shard_id, self._invoke, self._on_failure, self._region
                )
                await delivery.deliver(records, advance)
                delivered += len(records)
            shard.iterator = page.get("NextShardIterator")
            if shard.iterator is None and not records:
                self._shards.pop(shard.shard_id, None)  # a closed shard, fully read
                self._finished.add(shard.shard_id)
        return delivered

    async def run(self) -> None:
        """Poll until cancelled: immediately while records flow, backing off to MAX_IDLE_POLL_SECONDS."""
        idle = IDLE_POLL_SECONDS
        failing = False
        while True:
            try:
                delivered = await self.poll_once()
                failing = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # One line per outage (moto down), not one a second.
                log.log(
                    logging.DEBUG if failing else logging.WARNING,
                    "mapping %s: polling %s failed: %s",
                    self.mapping.uuid,
                    self.mapping.stream_arn,
                    exc,
                )
                failing = True
                for shard in self._shards.values():
                    shard.iterator = None
                delivered = 0
                await asyncio.sleep(1.0)
            if delivered:
                idle = IDLE_POLL_SECONDS
                continue
            await asyncio.sleep(idle)
            idle = min(idle * 1.5, MAX_IDLE_POLL_SECONDS)
