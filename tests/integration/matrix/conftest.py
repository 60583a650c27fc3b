"""Change-matrix fixtures: terraform/ applied once to its own moto, the emulator serving it, a table at the end.

The copy under test differs from terraform/ in one line: the functions run the handlers in functions/ (they
report their event, environment and memory), mapped by the emulator's code map. Every row then edits the
copy or its variables and applies again (test_change_matrix.py).
"""

from __future__ import annotations

import copy
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from devstack.terraform import LOCAL_FILES, Terraform, local_endpoint_env
from mock_idp.bad_tokens import BadTokens
from tests.integration.emulator.conftest import IdpProcess
from tests.support.processes import REPO_ROOT, free_ports, moto_server, running
from tests.support.summary import add_section
from tests.support.waits import wait_for

ENVIRONMENT = "mx"
FUNCTIONS_DIR = Path(__file__).parent / "functions"
REAL_COMMAND = 'command            = ["books.entrypoints.${each.key}.handler"]'
MATRIX_COMMAND = 'command            = ["matrix_handlers.${each.key}"]'
APPLY_TIMEOUT = 120.0  # seconds; a row may ask for less (a known hang should fail fast)
FIRST_APPLY_TIMEOUT = 300.0
PLAN_TIMEOUT = 120.0


@dataclass
class Result:
    """One row of the final table."""

    edit: str
    apply_seconds: float | None = None
    replan: int | str = "-"
    served: str = "-"


RESULTS: list[Result] = []


def pytest_sessionfinish(session: Any) -> None:
    """The matrix table, for the terminal summary (shown without -s, and from an xdist worker too)."""
    if not RESULTS:
        return
    width = max(len(r.edit) for r in RESULTS)
    lines = [f"{'edit':<{width}}  apply s  re-plan  served check"]
    for r in RESULTS:
        seconds = "-" if r.apply_seconds is None else f"{r.apply_seconds:.1f}"
        lines.append(f"{r.edit:<{width}}  {seconds:>7}  {r.replan!s:>7}  {r.served}")
    lines.append(
        f"total apply seconds: {sum(r.apply_seconds or 0 for r in RESULTS):.1f} over {len(RESULTS)} edits"
    )
    add_section("change matrix", lines)


def sub(config_dir: Path, relative: str, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in a file of the copy; a drifted terraform/ fails loudly here."""
    path = config_dir / relative
    text = path.read_text()
    count = text.count(old)
    assert count == 1, f"{relative}: expected exactly one {old!r}, found {count} (did terraform/ change?)"
    path.write_text(text.replace(old, new))


@dataclass
class Matrix:
    """The applied copy, its current variables, and clients for the emulator, moto and the IdP."""

    terraform: Terraform
    config_dir: Path
    var_file: Path
    variables: dict[str, Any]
    outputs: dict[str, Any]
    control_plane: str
    gateway_url: str
    lambda_url: str
    idp: IdpProcess
    http: requests.Session = field(default_factory=requests.Session)
    last: str = ""  # what the last probe saw, for failure messages

    def write_variables(self) -> None:
        self.var_file.write_text(json.dumps(self.variables, indent=2))

    def snapshot(self) -> tuple[dict[str, Any], dict[Path, str]]:
        files = {p: p.read_text() for p in self.config_dir.rglob("*.tf") if ".terraform" not in p.parts}
        return copy.deepcopy(self.variables), files

    def restore(self, saved: tuple[dict[str, Any], dict[Path, str]]) -> None:
        self.variables, files = copy.deepcopy(saved[0]), saved[1]
        for path, text in files.items():
            path.write_text(text)
        self.write_variables()

    def aws(self, service: str) -> Any:
        make_client: Any = boto3.client  # boto3's overloads accept only literal service names
        return make_client(service, endpoint_url=self.control_plane, region_name="us-east-1")

    def token(self, **claims: Any) -> str:
        """A token the IdP's key signs, for the current issuer and audience unless `claims` override."""
        minted = BadTokens.from_key_dir(
            self.idp.key_dir, issuer=self.variables["jwt_issuer"], audience=self.variables["jwt_audience"]
        )
        return minted.valid(**{"scope": self.variables["write_scope"], **claims})

    def request(
        self, method: str, path: str, token: str | None = None, header: str = "Authorization", **kwargs: Any
    ) -> requests.Response:
        headers = {"Host": f"{self.outputs['api_id']}.execute-api.localhost", **kwargs.pop("headers", {})}
        if token:
            headers[header] = f"Bearer {token}"
        response = self.http.request(method, self.gateway_url + path, headers=headers, timeout=30, **kwargs)
        self.last = f"{method} {path} -> {response.status_code} {response.text[:300]}"
        return response

    def invoke(self, function: str, payload: dict[str, Any]) -> requests.Response:
        """The emulator's Lambda Invoke API, for settings the gateway does not show."""
        name = f"{ENVIRONMENT}-books-{function}"
        url = f"{self.lambda_url}/2015-03-31/functions/{name}/invocations"
        response = self.http.post(url, json=payload, timeout=60)
        self.last = f"invoke {name} -> {response.status_code} {dict(response.headers)} {response.text[:300]}"
        return response

    def reported(self, function: str) -> dict[str, Any]:
        """What a matrix handler reports about itself (environment, memory) through a direct invoke."""
        response = self.invoke(function, {})
        return dict(json.loads(response.json()["body"])) if response.status_code == 200 else {}


def _prepare_copy(dest: Path) -> Path:
    shutil.copytree(REPO_ROOT / "terraform", dest, ignore=shutil.ignore_patterns(*LOCAL_FILES, "bootstrap"))
    sub(dest, "main.tf", REAL_COMMAND, MATRIX_COMMAND)
    return dest


@pytest.fixture(scope="session")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    work = tmp_path_factory.mktemp("matrix")
    config_dir = _prepare_copy(work / "terraform")
    idp_port, port, lambda_port = free_ports(3)
    with moto_server(work) as control_plane:
        idp = IdpProcess(port=idp_port, key_dir=work / "idp-keys", log_dir=work)
        idp.start()
        try:
            yield from _applied(work, config_dir, control_plane, idp, (port, lambda_port))
        finally:
            idp.stop()


def _applied(
    work: Path, config_dir: Path, control_plane: str, idp: IdpProcess, emulator_ports: tuple[int, int]
) -> Iterator[Matrix]:
    digests = {
        fn: f"sha256:{letter * 64}" for fn, letter in (("command", "a"), ("query", "b"), ("projector", "c"))
    }
    variables: dict[str, Any] = {
        "environment": ENVIRONMENT,
        "jwt_issuer": idp.issuer,
        "jwt_audience": "mx-audience",
        "write_scope": "books:write",
        "image_digests": digests,
    }
    terraform = Terraform(
        config_dir=config_dir,
        state_path=work / "terraform.tfstate",
        data_dir=work / "tf-data",
        env=local_endpoint_env(control_plane),
    )
    terraform.init()
    port, lambda_port = emulator_ports
    m = Matrix(
        terraform=terraform,
        config_dir=config_dir,
        var_file=work / "matrix.tfvars.json",
        variables=variables,
        outputs={},
        control_plane=control_plane,
        gateway_url=f"http://127.0.0.1:{port}",
        lambda_url=f"http://127.0.0.1:{lambda_port}",
        idp=idp,
    )
    m.write_variables()
    started = time.monotonic()
    terraform.apply(m.var_file, timeout=FIRST_APPLY_TIMEOUT)
    RESULTS.append(
        Result("first apply (whole config)", time.monotonic() - started, terraform.plan_changes(m.var_file))
    )
    m.outputs = terraform.outputs()
    env = {
        "EMULATOR_CONTROL_PLANE_URL": control_plane,
        "AWS_ENDPOINT_URL": control_plane,
        "EMULATOR_PORT": str(port),
        "EMULATOR_LAMBDA_PORT": str(lambda_port),
        "EMULATOR_CODE_MAP": f"{ENVIRONMENT}-books-*={FUNCTIONS_DIR}",
        "EMULATOR_REFRESH_SECONDS": "1",
    }
    with running(
        ["-m", "emulator", "serve"],
        health_url=f"{m.lambda_url}/_emulator/health",
        log_path=work / "emulator.log",
        env=env,
        timeout=60,
    ):
        api_id = m.outputs["api_id"]
        wait_for(
            lambda: (
                "$default"
                in requests.get(f"{m.lambda_url}/_emulator/health", timeout=2).json()["apis"][api_id]
            ),
            timeout=30,
            what=f"the emulator to serve API {api_id}",
        )
        yield m
        m.http.close()
