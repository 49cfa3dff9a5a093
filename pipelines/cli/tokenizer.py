"""``curation tokenizer``: train, inspect and try tokenizers.

    curation tokenizer train --input FILES... --algorithm bpe|wordpiece|unigram --vocab-size N --output DIR
                             [--backend hf|sentencepiece] [--special-tokens pad,bos,eos,unk,mask]
                             [--max-docs N] [--max-bytes N] [--seed S] [--config FILE] [--set KEY=VALUE]
    curation tokenizer info DIR
    curation tokenizer encode DIR TEXT
"""
from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    parser = subparsers.add_parser("tokenizer", help="train a tokenizer (BPE, WordPiece, Unigram) and inspect it",
                                   description="Train tokenizers with HuggingFace tokenizers or sentencepiece; "
                                               "see docs/tokenizer.md.")
    sub = parser.add_subparsers(dest="tokenizer_command", metavar="SUBCOMMAND", required=True)

    train = sub.add_parser("train", help="train on document files (Parquet, JSONL[.gz], text)")
    train.add_argument("--input", nargs="+", required=True, metavar="FILE",
                       help="document files, globs or directories (local or any Beam filesystem)")
    train.add_argument("--output", required=True, metavar="DIR", help="directory for tokenizer.json and friends")
    train.add_argument("--algorithm", choices=["bpe", "wordpiece", "unigram"])
    train.add_argument("--backend", choices=["hf", "sentencepiece"])
    train.add_argument("--vocab-size", type=int)
    train.add_argument("--special-tokens", metavar="LIST",
                       help="comma-separated roles (pad,bos,eos,unk,mask), role=TOKEN to respell one, "
                            "other strings are extra special tokens (default: all five roles)")
    train.add_argument("--normalization", choices=["nfkc", "none"])
    train.add_argument("--pre-tokenizer", choices=["byte_level", "whitespace", "metaspace"])
    train.add_argument("--max-docs", type=int, help="sample at most N documents")
    train.add_argument("--max-bytes", type=int, help="sample at most N bytes of text (default 1 GiB)")
    train.add_argument("--seed", type=int, help="seed of the document sample (default 0)")
    train.add_argument("--config", help="YAML file with TokenizerConfig keys (or a `tokenizer:` section)")
    train.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                       help="override a setting, e.g. --set min_frequency=5 --set byte_fallback=false")
    train.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    train.set_defaults(handler=_train)

    info = sub.add_parser("info", help="vocabulary size, special ids and a sample encoding")
    info.add_argument("dir", help="tokenizer directory (or a tokenizer.json)")
    info.add_argument("--text", default="Hello world! Grüße, 東京 🎉", help="text of the sample encoding")
    info.set_defaults(handler=_info)

    encode = sub.add_parser("encode", help="print the ids and pieces of TEXT")
    encode.add_argument("dir", help="tokenizer directory (or a tokenizer.json)")
    encode.add_argument("text", help="text to encode")
    encode.add_argument("--json", action="store_true", help="print the ids as a JSON list only")
    encode.set_defaults(handler=_encode)


def _train(args: argparse.Namespace) -> int:
    from curation.config import load_config
    from pipelines.tokenizer import run_tokenizer
    from tokenizer.config import TokenizerConfig

    flags = {name: getattr(args, name) for name in ("algorithm", "backend", "vocab_size", "special_tokens",
                                                    "normalization", "pre_tokenizer", "max_docs", "max_bytes", "seed")}
    config = load_config(TokenizerConfig, args.config, args.overrides, section="tokenizer", flags=flags)
    run_tokenizer(config, args.input, args.output, echo=not args.quiet)
    return 0


def _info(args: argparse.Namespace) -> int:
    import tokenizer
    from curation.io.paths import exists, join, read_bytes

    tok = tokenizer.load(args.dir)
    report_path = join(tok.path, "train_report.json")
    print(f"path:        {tok.path}")
    print(f"sha256:      {tok.sha256}")
    print(f"vocab size:  {tok.vocab_size:,}")
    if exists(report_path):
        report = json.loads(read_bytes(report_path))
        cfg, sample = report["config"], report["sample"]
        print(f"trained:     {cfg['backend']} {cfg['algorithm']}, normalization {cfg['normalization']}, "
              f"pre-tokenizer {cfg['pre_tokenizer']}, byte fallback {cfg['byte_fallback']}")
        print(f"sample:      {sample['docs_sampled']:,} documents, {sample['bytes_sampled']:,} bytes "
              f"(of {sample['docs_seen']:,} / {sample['bytes_seen']:,}; seed {sample['seed']})")
    ids = {"pad": tok.pad_id, "bos": tok.bos_id, "eos": tok.eos_id, "unk": tok.unk_id, "mask": tok.mask_id}
    print("special ids: " + ", ".join(f"{role}={tok.roles.get(role)!s} ({i})" for role, i in ids.items()
                                      if i is not None))
    _print_encoding(tok, args.text)
    return 0


def _encode(args: argparse.Namespace) -> int:
    import tokenizer

    tok = tokenizer.load(args.dir)
    if args.json:
        print(json.dumps(tok.encode(args.text)))
    else:
        _print_encoding(tok, args.text)
    return 0


def _print_encoding(tok, text: str) -> None:
    ids = tok.encode(text)
    pieces = [tok.backend.id_to_token(i) for i in ids]
    print(f"text:        {text!r}")
    print(f"ids ({len(ids)}):    {ids}")
    print(f"pieces:      {pieces}")
    print(f"decoded:     {tok.decode(ids)!r}")
