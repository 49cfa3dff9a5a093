"""The ``curation`` command line.

Each sub-command lives in its own module of this package and exposes
``register(subparsers)``; modules are discovered here, so a stage adds its command
without touching this file. Everything after a bare ``--`` is handed to Beam
unchanged (``curation docs ... -- --runner=DataflowRunner --project=...``).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from curation.config import ConfigError


def split_beam_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """Split ``argv`` at the first bare ``--``: (our arguments, Beam's arguments)."""
    if "--" in argv:
        cut = argv.index("--")
        return argv[:cut], argv[cut + 1:]
    return argv, []


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="curation",
        description="Common Crawl to training-ready token shards. Beam options go after a bare '--'.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level (Beam included)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ours, beam_args = split_beam_args(argv)
    parser = build_parser()
    args = parser.parse_args(ours)
    args.beam_args = beam_args
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args) or 0)
    except (ConfigError, FileNotFoundError, ValueError) as exc:
        print(f"curation {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
