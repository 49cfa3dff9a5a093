"""``curation run`` on the sample scaled up: one process vs all cores, per stage, repeated.

    python bench/end_to_end.py              # ~100 MB of WARC (gzip): distinct copies of the sample, 3 rounds
    python bench/end_to_end.py --mb 20 --rounds 5
    python bench/end_to_end.py --quick      # ~3 MB, 1 round, up to the shards (validation trains a proxy LM on CPU)

Both sides run the same corpus and config (configs/sample.yaml with the scaled inputs and a
token budget scaled with them), each ``curation run`` a fresh process (``bench/harness.py``):
the local runner in one process (``in_memory``) vs multi-processing over all cores. Rounds are
interleaved; every figure is a median over rounds: the harness table (wall, CPU, peak RSS of
the process tree) and seconds per stage side by side.

The corpus is ``scripts/make_sample.py``'s page set in distinct copies (new hosts, remixed
text, so dedup does not collapse them); on a clone without ``../shared`` the text comes from
the chapters the sample ships.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench import harness  # noqa: E402


def make_config(corpus: Path, copies: int, validate_steps: int) -> Path:
    config = yaml.safe_load((REPO / "configs" / "sample.yaml").read_text())
    config["sources"][0]["inputs"] = [str(corpus / "warc" / "*.warc.gz")]
    config["sources"][1]["inputs"] = [str(corpus / "reference" / "books.jsonl")]
    config["quality"]["positive"] = [str(corpus / "reference" / "books.jsonl")]
    config["shards"]["total_tokens"] = 50_000 * copies
    config["shards"]["rows_per_shard"] = max(48, 48 * copies // 8)
    config["validate"]["steps"] = validate_steps
    path = corpus / "run.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def stage_seconds(out: Path) -> dict:
    run = json.loads((out / "run.json").read_text())
    values = {f"stage:{s['stage']}": s.get("seconds", 0.0) for s in run["stages"]}
    values["records"] = next(r["docs_in"] for r in run["funnel"] if r["step"] == "records")
    return values


def run_side(name: str, config: Path, beam_flags: list[str], stop_after: str | None) -> harness.Side:
    stop = ["--stop-after", stop_after] if stop_after else []
    argv = [sys.executable, "-m", "curation", "run", str(config), "--output", "{out}", *stop, "--",
            "--runner=FnApiRunner", *beam_flags]
    # exit status 1 = a shard failed validation (tiny proxy model): still a timing
    return harness.Side(name, argv, result=stage_seconds, ok_returncodes=(0, 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=100.0, help="corpus size in MB of gzip WARC")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--validate-steps", type=int, default=30)
    parser.add_argument("--stop-after", help="the last stage run (curation run --stop-after)")
    args = harness.parse_args(parser, argv, quick={"mb": 3.0, "rounds": 1, "stop_after": "shards"},
                              smoke={"mb": 0.3, "rounds": 1, "stop_after": "extract:web"})
    from make_sample import build

    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        corpus = Path(tmp) / "corpus"
        build(Path(tmp) / "probe", copies=1, files_per_copy=4, with_extras=False)  # MB per copy here
        per_copy = sum(p.stat().st_size for p in (Path(tmp) / "probe" / "warc").glob("*.warc.gz")) / 1e6
        copies = max(1, round(args.mb / per_copy))
        build(corpus, copies=copies, files_per_copy=4, with_extras=False)
        size_mb = sum(p.stat().st_size for p in (corpus / "warc").glob("*.warc.gz")) / 1e6
        config = make_config(corpus, copies, args.validate_steps)
        sides = [run_side("curation run, in_memory (1 process)", config,
                          ["--direct_running_mode=in_memory", "--direct_num_workers=1"], args.stop_after),
                 run_side(f"curation run, multi_processing ({cores} workers)", config,
                          ["--direct_running_mode=multi_processing", f"--direct_num_workers={cores}"],
                          args.stop_after)]
        results = harness.compare(sides, rounds=args.rounds)
        title = f"end to end: {copies} copies of the sample, {size_mb:.1f} MB of WARC, {cores} cores"
        harness.print_table(title, results, rate="records")
        stages = [k for k in results[0].runs[0].values if k.startswith("stage:")]
        print(f"\nseconds per stage (median of {args.rounds})")
        print(f"{'stage':<20}" + "".join(f"{r.side.name[:36]:>38}" for r in results))
        for stage in stages:
            print(f"{stage[6:]:<20}" + "".join(f"{r.median_value(stage):>38.1f}" for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
