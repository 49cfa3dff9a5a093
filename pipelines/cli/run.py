"""``curation run CONFIG.yaml``: WARC to validated shards, every stage in order, resumable."""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="run every stage of a config (extract, filter, quality, dedup, tokenizer, shards, validate)",
        description="Run the whole curation job described by CONFIG.yaml. Stages whose output exists and "
                    "matches their config are skipped, so an interrupted run resumes. Beam options go after "
                    "a bare '--'.")
    parser.add_argument("config", metavar="CONFIG.yaml")
    parser.add_argument("--output", metavar="DIR", help="output directory (default: the config's output:)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set shards.seq_len=1024")
    parser.add_argument("--dry-run", action="store_true", help="print the resolved plan and exit")
    parser.add_argument("--stop-after", metavar="STAGE", help="stop after this stage (e.g. filter:web)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from curation.config import load_config
    from curation.io.paths import absolute
    from pipelines.run.config import RunConfig, resolve_paths
    from pipelines.run.job import run_job

    config = resolve_paths(load_config(RunConfig, args.config, args.set), args.config)
    return run_job(config, absolute(args.output or config.output), args.beam_args, dry_run=args.dry_run,
                   stop_after=args.stop_after, command=args.argv)
