"""``curation shards``: build token shards from a mixture; ``curation shards export-megatron``.

    curation shards --mixture mixture.yaml --tokenizer DIR --output DIR [--set k=v] [-- BEAM_OPTIONS]
    curation shards export-megatron SHARDS_DIR --output PREFIX
"""
from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "shards", help="tokenize a mixture, pack it into fixed-length rows, write Parquet shards",
        description="Build token shards from a mixture YAML (sources, weights, token budget, seq_len, seed). "
                    "Beam options go after a bare '--'.")
    parser.add_argument("--mixture", help="mixture YAML (see examples/mixture-gpt3.yaml)")
    parser.add_argument("--tokenizer", help="tokenizer directory (as written by `curation tokenizer train`)")
    parser.add_argument("--output", help="output directory for shard-*.parquet and manifest.json")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a mixture setting, e.g. --set seq_len=512 --set packing=concat")
    parser.set_defaults(handler=_build)
    sub = parser.add_subparsers(dest="shards_command", metavar="SUBCOMMAND")
    export = sub.add_parser("export-megatron", help="export shards to a Megatron-LM indexed dataset (.bin/.idx)")
    export.add_argument("shards_dir", help="shard directory with manifest.json")
    export.add_argument("--output", dest="prefix", required=True, help="output PREFIX (writes PREFIX.bin, PREFIX.idx)")
    export.add_argument("--per-segment", action="store_true",
                        help="one Megatron document per packed segment (default: per source document)")
    export.set_defaults(handler=_export)


def _build(args: argparse.Namespace) -> int:
    missing = [flag for flag, value in (("--mixture", args.mixture), ("--tokenizer", args.tokenizer),
                                        ("--output", args.output)) if not value]
    if missing:
        raise ValueError(f"missing {', '.join(missing)} (or use `curation shards export-megatron`)")
    from curation.shards.mixture import load_mixture
    from pipelines.shards import run_shards

    config = load_mixture(args.mixture, args.overrides)
    run_shards(config, args.tokenizer, args.output, args.beam_args)
    return 0


def _export(args: argparse.Namespace) -> int:
    from curation.shards.megatron import export_megatron

    result = export_megatron(args.shards_dir, args.prefix, per_segment=args.per_segment)
    print(f"wrote {result['sequences']:,} sequences ({result['documents']}), {result['tokens']:,} tokens ({result['dtype']}) "
          f"to {result['bin']} and {result['idx']}")
    return 0
