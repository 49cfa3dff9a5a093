"""Wall time per stage of ``curation run`` on the sample scaled up, with 1 core vs all cores.

    python bench/end_to_end.py            # ~200 MB of WARC (gzip): the sample copied ~290 times
    python bench/end_to_end.py --mb 20    # smaller
    python bench/end_to_end.py --quick    # ~5 MB

Both runs use the same corpus and config (configs/sample.yaml with the scaled inputs and a
token budget scaled with them); the local runner runs in_memory (one process) and then in
multi_processing mode over all cores. Prints one table: seconds per stage side by side and
documents/s overall (WARC records in / total wall time).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))


def make_config(corpus: Path, copies: int) -> Path:
    config = yaml.safe_load((REPO / "configs" / "sample.yaml").read_text())
    config["sources"][0]["inputs"] = [str(corpus / "warc" / "*.warc.gz")]
    config["sources"][1]["inputs"] = [str(corpus / "reference" / "books.jsonl")]
    config["quality"]["positive"] = [str(corpus / "reference" / "books.jsonl")]
    config["shards"]["total_tokens"] = 50_000 * copies
    config["shards"]["rows_per_shard"] = max(48, 48 * copies // 8)
    config["validate"]["steps"] = 30
    path = corpus / "run.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def run(config: Path, output: Path, beam_flags: list[str]) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "curation", "run", str(config), "--output", str(output), "--", *beam_flags]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # 1 = a shard failed validation: still a timing
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"curation run failed ({proc.returncode})")
    return seconds, json.loads((output / "run.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=200.0, help="corpus size in MB of gzip WARC")
    parser.add_argument("--quick", action="store_true", help="~5 MB")
    args = parser.parse_args()
    if args.quick:
        args.mb = 5.0
    from make_sample import build

    copies = max(1, round(args.mb / 0.69))
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        corpus = Path(tmp) / "corpus"
        build(corpus, copies=copies, files_per_copy=4, with_extras=False)
        size_mb = sum(p.stat().st_size for p in (corpus / "warc").glob("*.warc.gz")) / 1e6
        config = make_config(corpus, copies)
        runs = {}
        for label, flags in (("1 core", ["--direct_running_mode=in_memory", "--direct_num_workers=1"]),
                             (f"{cores} cores", ["--direct_running_mode=multi_processing",
                                                 f"--direct_num_workers={cores}"])):
            runs[label] = run(config, Path(tmp) / label.replace(" ", "-"), ["--runner=FnApiRunner", *flags])
        first = next(iter(runs.values()))[1]
        records = next(r["docs_in"] for r in first["funnel"] if r["step"] == "records")
        print(f"\ncorpus: {copies} copies of the sample, {size_mb:.1f} MB of WARC, {records:,} HTML records")
        labels = list(runs)
        print(f"{'stage':<16}" + "".join(f"{label + ' (s)':>16}" for label in labels))
        for index, stage in enumerate(first["stages"]):
            cells = "".join(f"{runs[label][1]['stages'][index].get('seconds', 0):>16.1f}" for label in labels)
            print(f"{stage['stage']:<16}{cells}")
        print(f"{'total wall':<16}" + "".join(f"{runs[label][0]:>16.1f}" for label in labels))
        print(f"{'docs/s overall':<16}" + "".join(f"{records / runs[label][0]:>16.1f}" for label in labels))


if __name__ == "__main__":
    main()
