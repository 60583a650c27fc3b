"""python -m mock_idp serve | token | rotate."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from mock_idp.cli import CommandError, fetch_token, rotate, write_line
from mock_idp.config import ConfigError, Settings
from mock_idp.keys import KeyStoreError
from mock_idp.server import serve


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mock_idp", description="Local/CI OIDC issuer (not for production)."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve_cmd = commands.add_parser("serve", help="run the issuer")
    serve_cmd.add_argument("--host", help=f"bind address (MOCK_IDP_HOST, default {settings.host})")
    serve_cmd.add_argument("--port", type=int, help=f"port (MOCK_IDP_PORT, default {settings.port})")
    serve_cmd.add_argument(
        "--issuer", help="exact issuer URL (MOCK_IDP_ISSUER, default http://<host>:<port>)"
    )
    serve_cmd.add_argument(
        "--key-dir", help=f"signing key directory (MOCK_IDP_KEY_DIR, default {settings.key_dir})"
    )

    default_client = settings.clients[0]
    token_cmd = commands.add_parser("token", help="print an access token from a running issuer")
    token_cmd.add_argument("--issuer", default=settings.resolved_issuer, help="issuer URL (MOCK_IDP_ISSUER)")
    token_cmd.add_argument("--scope", help="space-separated scopes (default: all the client may have)")
    token_cmd.add_argument("--client-id", default=default_client.client_id)
    token_cmd.add_argument("--client-secret", help="default: the configured secret of --client-id")

    rotate_cmd = commands.add_parser("rotate", help="rotate a running issuer's signing key")
    rotate_cmd.add_argument("--issuer", default=settings.resolved_issuer, help="issuer URL (MOCK_IDP_ISSUER)")
    rotate_cmd.add_argument("--overlap-seconds", type=float, help="how long the old key stays published")
    return parser


def run(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        settings = Settings.from_env()
        args = build_parser(settings).parse_args(argv)
        if args.command == "serve":
            key_dir = Path(args.key_dir) if args.key_dir else None
            serve(
                settings.with_overrides(host=args.host, port=args.port, issuer=args.issuer, key_dir=key_dir)
            )
        elif args.command == "token":
            secret = args.client_secret
            if secret is None:
                client = settings.client(args.client_id)
                if client is None:
                    raise CommandError(f"unknown client {args.client_id!r}: pass --client-secret")
                secret = client.client_secret
            write_line(fetch_token(args.issuer, args.client_id, secret, args.scope))
        else:
            write_line(json.dumps(rotate(args.issuer, args.overlap_seconds)))
    except (ConfigError, CommandError, KeyStoreError) as exc:
        logging.getLogger("mock_idp").error("%s", exc)
        return 2 if isinstance(exc, ConfigError) else 1
    return 0


if __name__ == "__main__":
    sys.exit(run())
