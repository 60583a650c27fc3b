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

from devstack.terraform_errors import RECREATE, control_plane_failure

# Files of a working directory that never belong in a copy of a configuration: state, caches, local switches.
LOCAL_FILES = (".terraform", ".terraform.lock.hcl", "*.tfstate", "*.tfstate.*", "*_override.tf", "*.tfvars*")


class TerraformError(RuntimeError):
    """A terraform command failed; the message carries its output (or, locally, one line), `output` all of it."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output or message


def local_endpoint_env(endpoint_url: str, region: str = "us-east-1") -> dict[str, str]:
    """Environment that points the AWS provider (and boto3) at a local control plane."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }


# Where offline machines keep a provider mirror; the Makefile looks there too (TF_PLUGIN_DIR ?= ...).
DEFAULT_PLUGIN_DIR = Path("/opt/tf-plugins")


def plugin_dir_from_env(environ: Mapping[str, str] = os.environ) -> str | None:
    """TF_PLUGIN_DIR, else the default mirror when this machine has one, so pytest alone finds it as make does."""
    return environ.get("TF_PLUGIN_DIR") or (str(DEFAULT_PLUGIN_DIR) if DEFAULT_PLUGIN_DIR.is_dir() else None)


@dataclass
class Terraform:
    """One root configuration (`config_dir`) with its own data dir and state file (None: the backend's)."""

    config_dir: Path
    state_path: Path | None
    data_dir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    plugin_dir: str | None = field(default_factory=plugin_dir_from_env)
    # A wrapper with terraform's CLI, e.g. ("tflocal",), which reads the *.tf files of its working dir.
    command: Sequence[str] = ("terraform",)
    cwd: Path | None = None
    # Seconds each command may take (None: unbounded); on expiry its whole process group is stopped.
    timeout: float | None = None
    # Against a local control plane: its failures become one line naming resource, call and recovery.
    local: bool = False
    # Where each command's full output is appended (named in the one-line errors).
    log_path: Path | None = None

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
        argv = [*self.command, f"-chdir={self.config_dir}", *args]
        limit = timeout if timeout is not None else self.timeout
        # Its own session when bounded, so a timeout stops terraform and its provider plugins together.
        with subprocess.Popen(
            argv,
            env=env,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=limit is not None,
        ) as child:
            try:
                stdout, stderr = child.communicate(timeout=limit)
            except subprocess.TimeoutExpired:
                stdout, stderr = _interrupt(child)
                self._log(args[0], stdout, stderr)
                tail = "\n".join(f"{stdout}\n{stderr}".strip().splitlines()[-20:])
                if self.local:  # local-up's one line; the full output is in the log it names
                    message = (
                        f"terraform {args[0]} did not finish within {limit:g}s and was stopped: the control"
                        f" plane may be failing a call the provider keeps retrying; {RECREATE}{self._where()}"
                    )
                else:
                    message = f"terraform {args[0]} timed out after {limit:g}s; last lines:\n{tail}"
                raise TerraformError(message, f"{stdout}\n{stderr}") from None
            except KeyboardInterrupt:  # its own session does not get the terminal's Ctrl-C: pass it on
                _interrupt(child)
                raise
        proc = subprocess.CompletedProcess(argv, child.returncode, stdout, stderr)
        self._log(args[0], stdout, stderr)
        if check and proc.returncode != 0:
            raise self._error(args[0], proc)
        return proc

    def _where(self) -> str:
        return f"; terraform output: {self.log_path}" if self.log_path else ""

    def _log(self, command: str, stdout: str, stderr: str) -> None:
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("a") as log:
                log.write(f"$ terraform {command}\n{stdout}\n{stderr}\n")

    def _error(self, command: str, proc: subprocess.CompletedProcess[str]) -> TerraformError:
        output = f"{proc.stdout}\n{proc.stderr}"
        if self.local:
            line = control_plane_failure(output, str(self.log_path or ""))
            if line:
                return TerraformError(line, output)
        return TerraformError(f"terraform {command} failed ({proc.returncode}):\n{output}", output)

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
            raise self._error("plan", proc)
        return proc.returncode

    def destroy(self, var_file: Path | None = None) -> None:
        self._run("destroy", "-no-color", "-auto-approve", *self._state(), *self._var_args(var_file))

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self._run("output", "-json", *self._state()).stdout)
        return {name: item["value"] for name, item in raw.items()}


def _interrupt(child: subprocess.Popen[str], grace: float = 15) -> tuple[str, str]:
    """SIGINT the group (terraform stops gracefully and releases its state lock), SIGKILL after `grace`."""
    for sig in (signal.SIGINT, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, sig)
        try:
            return child.communicate(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    return child.communicate()
