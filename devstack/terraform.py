"""Run terraform against a working directory, with an optional offline provider mirror (TF_PLUGIN_DIR)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Files of a working directory that never belong in a copy of a configuration: state, caches, local switches.
LOCAL_FILES = (".terraform", ".terraform.lock.hcl", "*.tfstate", "*.tfstate.*", "*_override.tf", "*.tfvars*")


class TerraformError(RuntimeError):
    """A terraform command failed; the message carries its output."""


def local_endpoint_env(endpoint_url: str, region: str = "us-east-1") -> dict[str, str]:
    """Environment that points the AWS provider (and boto3) at a local control plane."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }


@dataclass
class Terraform:
    """One root configuration (`config_dir`) with its own data dir and state file (None: the backend's)."""

    config_dir: Path
    state_path: Path | None
    data_dir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    plugin_dir: str | None = field(default_factory=lambda: os.environ.get("TF_PLUGIN_DIR") or None)
    # A wrapper with terraform's CLI, e.g. ("tflocal",), which reads the *.tf files of its working dir.
    command: Sequence[str] = ("terraform",)
    cwd: Path | None = None

    def _run(
        self, *args: str, check: bool = True, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "TF_DATA_DIR": str(self.data_dir),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            **self.env,
        }
        # Its own process group, so a timeout stops terraform and its provider plugins together.
        proc = subprocess.Popen(
            [*self.command, f"-chdir={self.config_dir}", *args],
            env=env,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=timeout is not None,  # without a timeout, Ctrl-C reaches terraform as before
        )
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stdout, stderr = _interrupt(proc)
            tail = "\n".join(f"{stdout}\n{stderr}".strip().splitlines()[-20:])
            raise TerraformError(
                f"terraform {args[0]} timed out after {timeout:.0f}s; last lines:\n{tail}"
            ) from None
        done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
        if check and done.returncode != 0:
            raise TerraformError(f"terraform {args[0]} failed ({done.returncode}):\n{stdout}\n{stderr}")
        return done

    def init(self, *extra: str) -> None:
        args = ["init", "-no-color", "-upgrade=false", *extra]
        if self.plugin_dir:
            args.append(f"-plugin-dir={self.plugin_dir}")
        self._run(*args)

    def validate(self) -> str:
        """terraform validate (after init); raises TerraformError with the diagnostics."""
        return self._run("validate", "-no-color").stdout

    def _var_args(self, var_file: Path | None) -> list[str]:
        return [f"-var-file={var_file}"] if var_file else []

    def _state(self) -> list[str]:
        return [f"-state={self.state_path}"] if self.state_path else []

    def apply(
        self, var_file: Path | None = None, targets: Sequence[str] = (), timeout: float | None = None
    ) -> str:
        """terraform apply (of `targets` only, when given); TerraformError after `timeout` seconds."""
        target_args = [f"-target={target}" for target in targets]
        return self._run(
            "apply",
            "-no-color",
            "-auto-approve",
            *target_args,
            *self._state(),
            *self._var_args(var_file),
            timeout=timeout,
        ).stdout

    def plan_changes(self, var_file: Path | None = None, timeout: float | None = None) -> int:
        """terraform plan -detailed-exitcode: 0 no changes, 2 changes (1 raises)."""
        proc = self._run(
            "plan",
            "-no-color",
            "-detailed-exitcode",
            *self._state(),
            *self._var_args(var_file),
            check=False,
            timeout=timeout,
        )
        if proc.returncode not in (0, 2):
            raise TerraformError(f"terraform plan failed:\n{proc.stdout}\n{proc.stderr}")
        return proc.returncode

    def destroy(self, var_file: Path | None = None) -> None:
        self._run("destroy", "-no-color", "-auto-approve", *self._state(), *self._var_args(var_file))

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self._run("output", "-json", *self._state()).stdout)
        return {name: item["value"] for name, item in raw.items()}


def _interrupt(proc: subprocess.Popen[str], grace: float = 15) -> tuple[str, str]:
    """SIGINT the group (terraform stops gracefully and releases its state lock), SIGKILL after `grace`."""
    for sig in (signal.SIGINT, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            return proc.communicate(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    return proc.communicate()
