"""make e2e-cycle: a throwaway stack on free ports, the e2e suite against it, and teardown always."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

from devstack import ports
from devstack.config import REPO_ROOT, StackConfig
from devstack.down import down
from devstack.up import up


def cycle() -> int:
    base = StackConfig.from_env()
    config = replace(base.with_ports(*ports.free_ports(base.host, 4)), state_dir=base.state_dir / "cycle")
    try:
        code = up(config)
        if code != 0:
            return code
        env = {**os.environ, "STACK_ENV": str(config.stack_env_path)}
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "tests/e2e"], cwd=REPO_ROOT, env=env, check=False
        ).returncode
    finally:
        down(config)
