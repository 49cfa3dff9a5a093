"""``curation docs``: WARC/WET/document files -> clean documents as Parquet shards."""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "docs", help="ingest WARC/WET/JSONL/Parquet files into documents (Beam pipeline)",
        description="Read crawl or document files, extract main text, apply the configured filters "
                    "and write Parquet document shards, errors/ and stats.json. "
                    "Beam options go after a bare '--'.")
    parser.add_argument("--input", action="append", default=[], metavar="GLOB",
                        help="input files: glob, directory or URL (repeatable)")
    parser.add_argument("--crawl", metavar="CRAWL_ID", help="Common Crawl id, e.g. CC-MAIN-2024-22")
    parser.add_argument("--files", metavar="START:END", default=None,
                        help="range of the crawl's file listing (end exclusive; default 0:1)")
    parser.add_argument("--kind", choices=["warc", "wet"], default=None, help="crawl files to read")
    parser.add_argument("--cc-base-url", default=None, help="where the crawl lives (mirror, bucket, test server)")
    parser.add_argument("--output", required=True, metavar="DIR")
    parser.add_argument("--format", choices=["parquet", "jsonl", "jsonl.gz"], default=None)
    parser.add_argument("--extractor", choices=["resiliparse", "trafilatura"], default=None)
    parser.add_argument("--config", metavar="FILE", help="YAML DocsConfig (see docs/config.md)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set ingest.min_text_chars=200")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from curation.config import load_config
    from filters.docs_config import DocsConfig
    from pipelines.docs import run_docs

    flags: dict = {}
    if args.input:
        flags["inputs"] = list(args.input)
    if args.crawl:
        crawl = {"crawl_id": args.crawl}
        for key, value in (("files", args.files), ("kind", args.kind), ("base_url", args.cc_base_url)):
            if value is not None:
                crawl[key] = value
        flags["crawl"] = crawl
    if args.format:
        flags["output"] = {"format": args.format}
    if args.extractor:
        flags["ingest"] = {"extractor": args.extractor}
    # Flags merge into the YAML sections (deep merge), then --set overrides win.
    config = load_config(DocsConfig, args.config, args.set, flags=flags)
    stats = run_docs(config, config.inputs, args.output, args.beam_args)
    bad = (sum(v for k, v in stats.get("ingest", {}).items() if k.startswith("errors:"))
           + sum(v for k, v in stats.get("extract", {}).items() if k.startswith("dropped:error_"))
           + stats.get("read", {}).get("bad_rows", 0))
    print(f"wrote documents to {args.output} ({bad} bad record(s) in errors/)")
    return 0
