"""``curation validate SHARDS_DIR --report DIR``: gate a training job on its token shards.

Exit status: 0 when every shard passes, 1 when any shard fails, 2 on a usage error
(no manifest, bad config).
"""
from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "validate", help="check every token shard and score it with a proxy LM",
        description="Structural checks, token statistics and proxy-LM loss for every shard; "
                    "writes validation.json and report.html; exits 1 when any shard fails.")
    p.add_argument("shards_dir", metavar="SHARDS_DIR", help="directory with manifest.json and shards")
    p.add_argument("--report", required=True, metavar="DIR", help="where validation.json/report.html go")
    p.add_argument("--model", choices=["tiny", "small", "gpt2-124m"], help="proxy preset (default tiny)")
    p.add_argument("--steps", type=int, help="proxy training steps on the mixture sample (default 100)")
    p.add_argument("--device", help="auto (default), cpu or cuda")
    p.add_argument("--seed", type=int, help="seed for row sampling and the proxy (default 1234)")
    p.add_argument("--config", metavar="FILE", help="YAML file (flat, or with a 'validate:' section)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key (repeatable), e.g. --set loss_z_max=5")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import time

    from curation.config import load_config
    from curation.io.paths import join
    from curation.validate import ValidateConfig
    from pipelines.validate import run_validate

    flags = {"model": args.model, "steps": args.steps, "device": args.device, "seed": args.seed}
    cfg = load_config(ValidateConfig, args.config, args.set, section="validate", flags=flags)
    started = time.perf_counter()
    result = run_validate(cfg, args.shards_dir, args.report)
    json_path, html_path = join(args.report, "validation.json"), join(args.report, "report.html")
    counts = result["counts"]
    width = max(len(d["file"]) for d in result["shards"]) if result["shards"] else 5
    for d in result["shards"]:
        loss = "n/a" if d["loss"] is None else f"{d['loss']:.3f}"
        print(f"{d['file']:<{width}}  {d['verdict']:<4}  loss {loss:>6}  {', '.join(d['reasons'])}")
    print("  ".join(f"{k}={v}" for k, v in counts.items()))
    print(f"wrote {json_path} and {html_path} in {time.perf_counter() - started:.1f} s")
    return 0 if result["passed"] else 1
