"""Command line of the local stack: python -m devstack up|down|watch|cycle|tf-validate|aws-*."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start moto server, mock_idp and the emulator; apply terraform/ against them")
    sub.add_parser("down", help="stop exactly the processes `up` started")
    sub.add_parser(
        "watch", help="up if down, then live-reload services/ and apply terraform/ on save (Ctrl-C)"
    )
    sub.add_parser("cycle", help="up on free ports in a separate state dir, run tests/e2e, down (always)")
    sub.add_parser("tf-validate", help="terraform init (offline mirror if TF_PLUGIN_DIR) and validate")
    for action in ("deploy", "smoke", "destroy"):
        sub.add_parser(f"aws-{action}", help=f"aws-{action} of environment ENV (see README: Deploy to AWS)")
    sub.add_parser(
        "aws-ecr", help="create ENV's ECR repositories only (apply -target=module.ecr); print their URLs"
    )
    sub.add_parser(
        "rebuild-read-model",
        help="re-project every book from the event store (local stack, or ENV's on AWS); idempotent",
    )
    args = parser.parse_args(argv)

    if args.command == "up":
        from devstack.up import up

        return up()
    if args.command == "down":
        from devstack.down import down

        return down()
    if args.command == "watch":
        from devstack.watch import watch

        return watch()
    if args.command == "cycle":
        from devstack.cycle import cycle

        return cycle()
    if args.command == "rebuild-read-model":
        from devstack.rebuild_read_model import main as rebuild_main

        return rebuild_main()
    if args.command.startswith("aws-"):
        from devstack.aws_deploy import main as aws_main

        return aws_main(args.command.removeprefix("aws-"))
    from devstack.tf_validate import main as tf_validate

    return tf_validate()


if __name__ == "__main__":
    sys.exit(main())
