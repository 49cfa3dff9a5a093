"""``curation dedup``: exact, then MinHash LSH near-duplicate removal of document files (Beam pipeline)."""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dedup", help="remove near-duplicate documents (MinHash LSH, Beam pipeline)",
        description="Write the kept documents to OUTPUT/documents/, optionally the removed ones to "
                    "OUTPUT/duplicates/ and the duplicate pairs to OUTPUT/pairs/, and stats.json. "
                    "With --index DIR, documents are also checked against the corpus indexed in DIR by "
                    "earlier runs, and the kept ones are added to it. Beam options go after a bare '--'.")
    parser.add_argument("--input", action="append", required=True, metavar="GLOB_OR_DIR",
                        help="document files (Parquet / JSONL[.gz] / text): glob or directory (repeatable)")
    parser.add_argument("--output", required=True, metavar="DIR")
    parser.add_argument("--threshold", type=float, default=None, help="Jaccard threshold (default 0.8)")
    parser.add_argument("--num-perm", type=int, default=None, help="MinHash permutations (default 128)")
    parser.add_argument("--config", metavar="FILE", help="YAML file; its 'dedup' section (or top level) is a DedupConfig")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a DedupConfig value, e.g. --set bands=20 --set rows=6")
    parser.add_argument("--index", metavar="DIR", help="incremental index: check against it, then add the kept docs")
    parser.add_argument("--keep-duplicates", action="store_true",
                        help="also write the removed documents (duplicate=true) to OUTPUT/duplicates/")
    parser.add_argument("--pairs", action="store_true", help="write duplicate pairs to OUTPUT/pairs/")
    parser.add_argument("--format", choices=["parquet", "jsonl", "jsonl.gz"], default="parquet")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from curation.config import load_config
    from filters.dedup_config import DedupConfig
    from pipelines.dedup import run_dedup

    flags = {"threshold": args.threshold, "num_perm": args.num_perm, "emit_pairs": True if args.pairs else None}
    config = load_config(DedupConfig, args.config, args.set, section="dedup", flags=flags)
    stats = run_dedup(config, args.input, args.output, args.beam_args, index=args.index,
                      keep_duplicates=args.keep_duplicates, fmt=args.format)
    counts, exact = stats.get("dedup", {}), stats.get("dedup.exact", {})
    print(f"kept {counts.get('out', 0):,} of {exact.get('in', counts.get('in', 0)):,} documents "
          f"({exact.get('dropped:exact_duplicate', 0):,} exact copies, "
          f"{counts.get('dropped:near_duplicate', 0):,} near-duplicates removed) -> {args.output}")
    return 0
