"""Runs `python -m awslambdaric <handler>` in the function's code directory: no Docker needed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

from emulator.config import Settings
from emulator.lambdas.code_map import resolve_code_dir
from emulator.lambdas.executors.base import OutputHandler, RuntimeExecutor
from emulator.lambdas.function_registry import FunctionConfig
from emulator.lambdas.reserved_env import build_environment
from emulator.lambdas.runtime_api import RuntimeApi

log = logging.getLogger(__name__)

_READ_CHUNK = 64 * 1024


class SubprocessExecutor(RuntimeExecutor):
    """One runtime process per environment, in its own process group (so stop kills its children too)."""

    def __init__(self, settings: Settings, base_dir: Path) -> None:
        super().__init__()
        self._settings = settings
        self._base_dir = base_dir
        self._proc: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None

    async def start(
        self,
        config: FunctionConfig,
        api: RuntimeApi,
        log_stream: str,
        on_output: OutputHandler,
        credentials: Mapping[str, str] | None = None,
    ) -> None:
        task_root = resolve_code_dir(config.image_uri, self._settings.code_map_entries(), self._base_dir)
        python = self._settings.function_python or sys.executable
        env = build_environment(
            config,
            self._settings,
            runtime_api=f"127.0.0.1:{api.port}",
            log_stream=log_stream,
            task_root=str(task_root),
            python_bin_dir=str(Path(python).parent),
            credentials=credentials,
        )
        self._proc = await asyncio.create_subprocess_exec(
            python,
            "-m",
            "awslambdaric",
            config.handler,
            cwd=str(task_root),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self._pump = asyncio.create_task(self._pump_output(on_output))

    async def _pump_output(self, on_output: OutputHandler) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        pending = b""
        while chunk := await self._proc.stdout.read(_READ_CHUNK):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                self._emit(line, on_output)
        if pending:
            self._emit(pending, on_output)

    def _emit(self, raw: bytes, on_output: OutputHandler) -> None:
        # awslambdaric joins the lines of one error report with "\r": keep them as one multi-line event.
        self._record(raw.decode("utf-8", "replace").replace("\r", "\n").rstrip("\n"), on_output)

    async def wait(self) -> int:
        assert self._proc is not None, "executor not started"
        code = await self._proc.wait()
        if self._pump is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._pump), 1.0)
        return code

    async def stop(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 5.0)
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(BaseException):
                await self._pump

    def max_memory_mb(self) -> int | None:
        if self._proc is None:
            return None
        try:
            with open(f"/proc/{self._proc.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return max(1, int(line.split()[1]) // 1024)
        except OSError:
            return None
        return None
