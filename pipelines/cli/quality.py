"""``curation quality train|eval|score``: the GPT-3-style quality classifier (fastText)."""
from __future__ import annotations

import argparse
import json

TRAIN_FLAGS = {  # flag -> TrainConfig field (None: keep the config's value)
    "max_per_class": int, "min_per_class": int, "holdout": float, "threshold": float, "seed": int,
    "word_ngrams": int, "dim": int, "epoch": int, "lr": float, "min_count": int, "bucket": int, "thread": int,
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "quality", help="train, evaluate and apply a quality classifier (fastText, GPT-3 style)",
        description="Train a fastText classifier of reference (positive) vs raw web (negative) text, "
                    "evaluate it, and score + select document files in a Beam pipeline.")
    sub = parser.add_subparsers(dest="quality_command", metavar="ACTION", required=True)

    train = sub.add_parser("train", help="train a model and write its JSON card next to it",
                           description="Inputs: Parquet/JSONL document files or .txt (one document per line).")
    _class_args(train)
    train.add_argument("--output", required=True, metavar="MODEL", help="model file to write, e.g. model.bin")
    train.add_argument("--no-balance", action="store_true", help="keep the classes' sizes (still capped)")
    for flag, kind in TRAIN_FLAGS.items():
        train.add_argument(f"--{flag.replace('_', '-')}", type=kind, default=None, help="see TrainConfig")
    _config_args(train, "TrainConfig (section 'train' if present)")
    train.set_defaults(handler=handle_train)

    ev = sub.add_parser("eval", help="precision/recall/F1, ROC AUC and a score histogram per class")
    ev.add_argument("--model", required=True, metavar="MODEL")
    _class_args(ev)
    ev.add_argument("--threshold", type=float, default=0.5, help="score >= threshold counts as high quality")
    ev.add_argument("--report", metavar="DIR", help="write report.json, histogram.png and report.html here")
    ev.set_defaults(handler=handle_eval)

    score = sub.add_parser("score", help="score and select document files (Beam); options after '--' go to Beam")
    score.add_argument("--model", default=None, metavar="MODEL")
    score.add_argument("--input", action="append", default=[], required=True, metavar="GLOB",
                       help="document files: glob, directory or URL (repeatable)")
    score.add_argument("--output", required=True, metavar="DIR")
    score.add_argument("--mode", choices=["pareto", "threshold", "top_fraction"], default=None)
    score.add_argument("--alpha", type=float, default=None, help="pareto shape (GPT-3: 9)")
    score.add_argument("--threshold", type=float, default=None)
    score.add_argument("--fraction", type=float, default=None, help="top_fraction: share of documents kept")
    score.add_argument("--seed", type=int, default=None)
    score.add_argument("--format", choices=["parquet", "jsonl", "jsonl.gz"], default="parquet")
    _config_args(score, "QualityConfig (section 'quality' if present)")
    score.set_defaults(handler=handle_score)


def _class_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--positive", nargs="+", action="extend", required=True, metavar="FILE",
                        help="reference (high-quality) document files or globs")
    parser.add_argument("--negative", nargs="+", action="extend", required=True, metavar="FILE",
                        help="raw web (low-quality) document files or globs")


def _config_args(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--config", metavar="FILE", help=f"YAML {what}")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value")


def handle_train(args: argparse.Namespace) -> int:
    from curation.config import load_config
    from filters.quality.config import TrainConfig
    from filters.quality.train import card_path, train

    flags = {name: getattr(args, name) for name in TRAIN_FLAGS}
    if args.no_balance:
        flags["balance"] = False
    config = load_config(TrainConfig, args.config, args.set, section="train", flags=flags)
    card = train(args.positive, args.negative, args.output, config)
    sizes, held = card["sizes"], card["heldout_metrics"]
    print(f"trained {args.output} in {card['train_seconds']:.2f}s on {sizes['positive_train']}+"
          f"{sizes['negative_train']} documents; held-out AUC {held['roc_auc']:.4f}, F1 {held['f1']:.4f} "
          f"(card: {card_path(args.output)})")
    return 0


def handle_eval(args: argparse.Namespace) -> int:
    from filters.quality.evaluate import evaluate, write_report

    result = evaluate(args.model, args.positive, args.negative, args.threshold)
    print(json.dumps(result["metrics"], indent=2, sort_keys=True))
    if args.report:
        paths = write_report(args.report, result)
        print(f"report: {paths['report.html']}")
    return 0


def handle_score(args: argparse.Namespace) -> int:
    from pipelines.quality import run_quality

    flags = {"model": args.model, "mode": args.mode, "alpha": args.alpha, "threshold": args.threshold,
             "fraction": args.fraction, "seed": args.seed}
    from curation.config import load_config
    from filters.quality.config import QualityConfig

    config = load_config(QualityConfig, args.config, args.set, section="quality", flags=flags)
    stats = run_quality(config, args.input, args.output, args.beam_args, fmt=args.format)
    select = stats.get("quality_select", {})
    print(f"scored {stats.get('quality_score', {}).get('scored', 0)} document(s), kept {select.get('out', 0)} "
          f"({config.mode}) -> {args.output}")
    return 0
