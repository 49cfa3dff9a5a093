"""The ``curation`` command line.

Each sub-command lives in its own module of this package and exposes
``register(subparsers)``; modules are discovered here, so a stage adds its command
without touching this file. Everything after a bare ``--`` is handed to Beam
unchanged (``curation docs ... -- --runner=DataflowRunner --project=...``).
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import traceback

from curation.config import ConfigError
from curation.io.paths import check_output_dir
from pipelines.logs import configure_logging


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
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log at INFO level, Beam's workers included (or CURATION_VERBOSE=1); show the traceback of an error")
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
    args.argv = ["curation", *argv]  # the command line as given (run.json records it)
    configure_logging(True if args.verbose else None)
    if beam_args:
        from pipelines.options import make_options

        make_options(beam_args)  # object-store flags (--s3_endpoint_url, ...) apply to matching inputs too
    try:
        for path in output_dirs(args):
            check_output_dir(path)  # before any work: not after an hour of it
        return int(args.handler(args) or 0)
    except (ConfigError, ValueError, OSError) as exc:  # expected: bad input, config, paths
        if args.verbose:
            traceback.print_exc()
        print(f"curation {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return 2


def output_dirs(args: argparse.Namespace) -> list[str]:
    """The output directories a command will write (``--output`` / ``--report``)."""
    found = [getattr(args, "report", None)]
    output = getattr(args, "output", None)
    if getattr(args, "quality_command", None) == "train" and output:
        output = os.path.dirname(output) or "."  # the model file goes in there
    found.append(output)
    return [path for path in found if path]


def one_line(exc: BaseException) -> str:
    """The message of an error on one line (config errors list each problem on its own line)."""
    lines = [line.strip(" -") for line in str(exc).splitlines() if line.strip()]
    return "; ".join(lines) or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
