"""`python -m emulator serve [...]` runs the data plane; `logs <fn>` tails logs; `iam-report` audits IAM."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
from pathlib import Path

from emulator.config import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the HTTP APIs, the Lambda Invoke API and stream pollers")
    serve.add_argument("--control-plane", dest="control_plane_url", help="control plane endpoint URL")
    serve.add_argument("--host", help="address to listen on")
    serve.add_argument("--port", type=int, help="HTTP API gateway port")
    serve.add_argument("--lambda-port", type=int, help="Lambda Invoke API and health port")
    serve.add_argument("--executor", choices=("subprocess", "container"), help="how functions run")
    serve.add_argument("--code-map", help='"<ECR repo fnmatch>=<dir>,..." for the subprocess executor')
    serve.add_argument("--function-python", help="python that runs awslambdaric (default: this one)")
    serve.add_argument("--max-concurrency", type=int, help="environments per function, at most")
    serve.add_argument("--refresh-seconds", type=float, help="control-plane refresh interval")
    serve.add_argument("--log-level", default="INFO", help="emulator log level (default INFO)")
    logs = commands.add_parser("logs", help="print a function's CloudWatch log events")
    logs.add_argument("function", help="function name")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    logs.add_argument("--since", default="10m", help="how far back: 30s, 10m, 2h, 1d or an ISO timestamp")
    logs.add_argument("--control-plane", dest="control_plane_url", help="control plane endpoint URL")
    report = commands.add_parser(
        "iam-report", help="per function: AWS calls made, denials, and granted actions never used"
    )
    report.add_argument("--since", default="1d", help="how far back: 30s, 10m, 2h, 1d (default) or ISO")
    report.add_argument("--control-plane", dest="control_plane_url", help="control plane endpoint URL")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    fields = {f.name for f in dataclasses.fields(Settings)}
    overrides = {k: v for k, v in vars(args).items() if k in fields and v is not None}
    return dataclasses.replace(Settings.from_env(), **overrides)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
    except ValueError as exc:  # a setting that cannot be used, e.g. IAM_MODE=strict: one line, no trace
        sys.stderr.write(f"emulator: {exc}\n")
        return 2
    if args.command == "serve":
        logging.basicConfig(
            level=args.log_level.upper(),
            format="%(asctime)s %(levelname)s %(name)s %(message)s",
            stream=sys.stderr,
        )
        from emulator.app import serve

        asyncio.run(serve(settings, Path.cwd()))
        return 0
    from emulator.aws_clients import client
    from emulator.logs.tail import parse_since, tail

    try:
        since = parse_since(args.since)
    except ValueError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    if args.command == "iam-report":
        from emulator.iam_report import report

        return report(lambda service: client(settings, service), since_ms=since)
    try:
        return tail(client(settings, "logs"), args.function, since_ms=since, follow=args.follow)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
