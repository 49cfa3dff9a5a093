"""Where multi-processing starts to pay: one Beam stage in one process vs over all cores, by input size.

    python bench/runner_mode.py                      # 2, 8, 32, 64 MB of WARC; extract and C4 filter stages
    python bench/runner_mode.py --sizes 1,4,16 --rounds 5 --stages extract
    python bench/runner_mode.py --quick

For each size, the same input through the same stage twice, each a fresh ``curation docs``
process (``bench/harness.py``, rounds interleaved, start-up counted on both sides):
``--direct_running_mode=in_memory`` (one process) vs ``multi_processing`` with one worker per
core. Stages: ``extract`` reads gzip WARC files of real pages (``bench/bench_warc.py``) and
extracts the text; ``filter`` runs the C4 rules (``configs/c4.yaml``) over the extracted
documents (Parquet), its input bytes being those Parquet files. The last table gives, per
stage and size, the input bytes and the wall ratio multi/one: below 1.00x multi-processing
pays. ``pipelines/options.py`` picks the local mode from the input bytes with the thresholds
read off this table (see README, "Local runner mode").
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402
from bench.bench_warc import build_warcs  # noqa: E402


def stage_sides(stage: str, inputs: Path, cores: int) -> list[harness.Side]:
    extra = ["--config", str(REPO / "configs" / "c4.yaml")] if stage == "filter" else []
    base = [sys.executable, "-m", "curation", "docs", "--input", str(inputs), *extra, "--output", "{out}", "--",
            "--runner=FnApiRunner"]
    return [harness.Side(f"{stage}: in_memory (1 process)", [*base, "--direct_running_mode=in_memory",
                                                             "--direct_num_workers=1"]),
            harness.Side(f"{stage}: multi_processing ({cores} workers)",
                         [*base, "--direct_running_mode=multi_processing", f"--direct_num_workers={cores}"])]


def input_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def extract_once(warcs: Path, out: Path) -> Path:
    """The documents of ``warcs`` (the filter stage's input), extracted once, untimed."""
    cmd = [sys.executable, "-m", "curation", "docs", "--input", str(warcs), "--output", str(out), "--",
           "--runner=FnApiRunner", "--direct_running_mode=in_memory"]
    subprocess.run(cmd, check=True, capture_output=True, cwd=REPO)
    return out / "documents"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2,8,32,64", help="MB of gzip WARC, comma-separated")
    parser.add_argument("--stages", default="extract,filter")
    parser.add_argument("--rounds", type=int, default=3)
    args = harness.parse_args(parser, argv, quick={"sizes": "1,8", "rounds": 1},
                              smoke={"sizes": "0.3", "rounds": 1, "stages": "extract"})
    cores = os.cpu_count() or 1
    summary = []
    with tempfile.TemporaryDirectory(prefix="bench-mode-") as tmp:
        for mb in (float(s) for s in args.sizes.split(",")):
            warcs = Path(tmp) / f"warc-{mb}"
            build_warcs(warcs, int(mb * 1e6), files=max(4, 2 * cores))
            for stage in args.stages.split(","):
                inputs = warcs if stage == "extract" else extract_once(warcs, Path(tmp) / f"docs-{mb}")
                size = input_bytes(inputs)
                results = harness.compare(stage_sides(stage, inputs, cores), rounds=args.rounds)
                harness.print_table(f"{stage}: {size / 1e6:.2f} MB of input ({mb:g} MB of WARC), {cores} cores",
                                    results)
                summary.append((stage, mb, size, harness.ratio_cell(results, 1, 0, "wall_s"),
                                harness.ratio_cell(results, 1, 0, "cpu_s"),
                                results[0].median("wall_s"), results[1].median("wall_s")))
    print(f"\n## summary: multi_processing ({cores} workers) vs in_memory, wall ratio per round; < 1.00x: multi pays")
    print(f"{'stage':<8}{'WARC MB':>8}{'input MB':>10}{'one s':>8}{'multi s':>9}{'wall multi/one':>26}"
          f"{'CPU multi/one':>26}")
    for stage, mb, size, wall, cpu, one, multi in summary:
        print(f"{stage:<8}{mb:>8g}{size / 1e6:>10.2f}{one:>8.1f}{multi:>9.1f}{wall:>26}{cpu:>26}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
