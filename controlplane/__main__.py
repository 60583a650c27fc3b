"""Run the moto server as the local AWS control plane: python -m controlplane --port 4566."""

from __future__ import annotations

import argparse
import os
import sys

from controlplane import dynamodb_ttl, heap, iam_gate, moto_patches


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m controlplane", description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "-p", "--port", type=int, default=int(os.environ.get("MOTO_PORT", 5000)), help="port to bind"
    )
    parser.add_argument(
        "--ttl-sweep-seconds",
        type=float,
        default=float(os.environ.get("TTL_SWEEP_SECONDS") or dynamodb_ttl.SWEEP_SECONDS),
        help=f"how often expired TTL items are deleted (default {dynamodb_ttl.SWEEP_SECONDS:g}; 0 = never)",
    )
    parser.add_argument(
        "--iam-mode",
        choices=iam_gate.MODES,
        default=os.environ.get("IAM_MODE") or "off",
        help="authorize calls signed by execution-role sessions: enforce, log or off (default: IAM_MODE, else off)",
    )
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    args.iam_mode = args.iam_mode.strip().lower()
    if args.iam_mode not in iam_gate.MODES:  # argparse checks choices on the command line, not defaults
        parser.error(f"IAM_MODE must be one of {', '.join(iam_gate.MODES)}, not {args.iam_mode!r}")
    # moto builds some URLs (SQS queue URLs, presigned S3 URLs) from MOTO_PORT, as moto.server.main sets it.
    os.environ.setdefault("MOTO_PORT", str(args.port))

    moto_patches.apply()
    heap.install()
    if args.ttl_sweep_seconds > 0:
        moto_patches.start_ttl_sweeper(args.ttl_sweep_seconds)
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from controlplane import server

    app = iam_gate.wrap(DomainDispatcherApplication(create_backend_app), args.iam_mode)
    server.serve(app, args.host, args.port)


if __name__ == "__main__":
    main()
