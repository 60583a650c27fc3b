"""make local-up: start (or reuse) the stack's processes, then apply terraform/ against them."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import requests

from devstack import issuer, local_config, ports, processes, source_digests, stack_env, stale_state
from devstack.config import REPO_ROOT, StackConfig
from devstack.services import marker, service_definitions
from devstack.steps import step
from devstack.terraform import Terraform, TerraformError, local_endpoint_env


def terraform_for(config: StackConfig) -> Terraform:
    return Terraform(
        config_dir=config.terraform_dir / "config",  # a copy with local-only overrides (apply_terraform)
        state_path=config.terraform_dir / "terraform.tfstate",
        data_dir=config.terraform_dir / "data",
        env=local_endpoint_env(config.endpoint_url, config.region),
        timeout=config.terraform_timeout,
        local=True,
        log_path=config.log_dir / "terraform.log",
    )


def _image_digests(config: StackConfig) -> dict[str, str]:
    if config.mode == "docker":
        built = REPO_ROOT / "build" / "image_digests.json"
        return dict(json.loads(built.read_text())["image_digests"])
    return source_digests.source_digests()


def write_var_file(config: StackConfig, jwt_issuer: str) -> None:
    """Generated on every run: a choice of issuer goes through JWT_ISSUER, not edits of this file."""
    variables = {
        "environment": config.environment,
        "region": config.region,
        "jwt_issuer": jwt_issuer,
        "jwt_audience": config.audience,
        "write_scope": config.write_scope,
        "image_digests": _image_digests(config),
    }
    config.terraform_dir.mkdir(parents=True, exist_ok=True)
    (config.terraform_dir / "local.tfvars.json").write_text(json.dumps(variables, indent=2) + "\n")


def start_services(config: StackConfig) -> None:
    for service in service_definitions(config):
        pid_file = config.pid_dir / f"{service.name}.pid"
        needed = {k: v for k, v in config.ports.items() if k.split("-")[0] == service.name}
        with step(f"start {service.name}") as current:
            pid = processes.read_pid(pid_file, marker(service))
            if pid and processes.healthy(service.health_url):
                current.note = f"already running (pid {pid})"
                continue
            if pid:
                processes.stop_pid(pid)
            for name, port in needed.items():
                ports.ensure_free(config.host, port, name)
            state = config.terraform_dir / "terraform.tfstate"
            if service.name == "moto" and state.exists():
                # A fresh control plane knows nothing: the old state would describe resources that are gone.
                stale_state.report_restart()
                state.unlink()
            pid = processes.start(service, config.pid_dir, config.log_dir)
            current.note = f"started on :{next(iter(needed.values()))} (pid {pid})"


# In the data dir, so that removing it (or local-clean) forces the next init.
INIT_FINGERPRINT = "init-fingerprint"


def init_terraform(config: StackConfig) -> None:
    """terraform init, skipped when no .tf file, lock file or provider mirror changed since the last one."""
    terraform = terraform_for(config)
    with step("terraform init") as current:
        local_config.prepare(terraform.config_dir)
        marker = terraform.data_dir / INIT_FINGERPRINT
        fingerprint = local_config.init_fingerprint(terraform.config_dir, terraform.plugin_dir)
        if marker.is_file() and marker.read_text() == fingerprint:
            current.note = "up to date (no .tf file changed)"
            return
        marker.unlink(missing_ok=True)
        terraform.init()
        # After init: it may have written the lock file, which the fingerprint covers.
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(local_config.init_fingerprint(terraform.config_dir, terraform.plugin_dir))


def apply_terraform(config: StackConfig, jwt_issuer: str, initialised: bool = False) -> dict[str, object]:
    if not initialised:
        init_terraform(config)
    terraform = terraform_for(config)
    with step("terraform apply") as current:
        write_var_file(config, jwt_issuer)
        output = terraform.apply(config.terraform_dir / "local.tfvars.json")
        current.note = next((ln for ln in output.splitlines() if ln.startswith("Apply complete")), "applied")
    return terraform.outputs()


def wait_until_served(config: StackConfig, api_id: str, timeout: float = 30.0) -> None:
    """The emulator re-reads the control plane every few seconds: wait until it serves the applied API."""

    def served() -> bool:
        try:
            health = requests.get(f"{config.lambda_url}/_emulator/health", timeout=2).json()
        except (requests.RequestException, ValueError):
            return False
        return "$default" in (health.get("apis") or {}).get(api_id, [])

    with step("emulator serves the API") as current:
        if not processes.wait_until(served, timeout, interval=0.2):
            raise processes.StartError(f"the emulator did not pick up API {api_id} within {timeout:.0f}s")
        current.note = f"{api_id} on {config.api_url}"


def print_summary(config: StackConfig, jwt_issuer: str) -> None:
    py = ".venv/bin/python"
    book = '{"title":"Dune","authors":["Frank Herbert"],"isbn":"9780441172719"}'
    mock = issuer.is_mock(config, jwt_issuer)
    token = (
        f"TOKEN=$({py} -m mock_idp token --issuer {config.issuer_url} --scope {config.write_scope})"
        if mock
        else f"a {config.write_scope} token for audience {config.audience} from {jwt_issuer} (mock_idp's are refused)"
    )
    lines = [
        "",
        "Local stack is up.",
        f"  API base URL:   {config.api_url}",
        f"  JWT issuer:     {jwt_issuer}"
        + (" (mock_idp)" if mock else f" (JWT_ISSUER; `{issuer.MOCK_RESET}` goes back to mock_idp)"),
        f"  Public GET:     curl -s {config.api_url}/v1/catalog/books",
        f"  Write token:    {token}",
        f'  Create a book:  curl -s -X POST {config.api_url}/v1/catalog/books -H "Authorization: Bearer $TOKEN"'
        f" -H 'Content-Type: application/json' -d '{book}'",
        f"  Process logs:   {config.log_dir}/",
        f"  Function logs:  {py} -m emulator logs {config.environment}-books-command --follow"
        f" --control-plane {config.endpoint_url}",
        f"  Stack env:      set -a; source {config.stack_env_path}; set +a",
        "",
    ]
    sys.stdout.write("\n".join(lines))


def up(config: StackConfig | None = None) -> int:
    config = config or StackConfig.from_env()
    if config.mode not in ("embedded", "docker"):
        sys.stderr.write(f"local-up: MODE must be 'embedded' or 'docker', not {config.mode!r}\n")
        return 2
    try:
        jwt_issuer = issuer.in_force(config)
    except (issuer.IssuerError, OSError) as exc:
        sys.stderr.write(f"local-up: {exc}\n")
        return 2
    try:
        # terraform init needs neither the control plane nor the services, so it runs while they start.
        with ThreadPoolExecutor(max_workers=1) as pool:
            initialised = pool.submit(init_terraform, config)
            if config.mode == "docker":
                from devstack.docker_mode import start_compose

                start_compose(config)
            else:
                start_services(config)
            initialised.result()
        stale_state.discard_if_lost(config)  # moto restarted behind our back: its data is gone
        outputs = apply_terraform(config, jwt_issuer, initialised=True)
        wait_until_served(config, str(outputs["api_id"]))
    except (ports.PortInUseError, processes.StartError, TerraformError, OSError, KeyError, ValueError) as exc:
        sys.stderr.write(f"local-up failed: {exc}\n")
        return 1
    except RuntimeError as exc:  # DockerModeError (MODE=docker)
        sys.stderr.write(f"local-up failed: {exc}\n")
        return 1
    stack_env.write(config.stack_env_path, stack_env.stack_values(config, outputs, jwt_issuer))
    print_summary(config, jwt_issuer)
    return 0
