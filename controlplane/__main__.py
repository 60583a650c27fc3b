"""Run the moto server as the local AWS control plane: python -m controlplane --port 4566."""

from __future__ import annotations

import sys

from controlplane import moto_patches


def main(argv: list[str] | None = None) -> None:
    moto_patches.apply()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
