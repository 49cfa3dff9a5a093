"""Default runner vs Dask on the sample job: wall time, and whether the outputs are identical.

    python bench/distributed.py [--rounds 3] [--workers 2]

Both sides run ``curation run configs/sample.yaml`` up to and including the shards (every
Beam stage; validation is launcher-side and the same whatever the runner), as subprocesses
of ``bench.harness``, interleaved. The Dask side starts a ``distributed.LocalCluster``
(worker processes, one thread each) in its own process; its start-up time is part of the
side's wall time and also reported on its own. Outputs compared: every file of the document
stages, the tokenizer and the shards (``stats.json``/markers/train report aside), the manifest
without the tokenizer's path, and ``funnel.txt``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402

CONFIG = str(REPO / "configs" / "sample.yaml")
RUN = ["run", CONFIG, "--output", "{out}", "--stop-after"]  # + the last stage (--stop-after)
STAGE_DIRS = {"extract", "filter", "quality", "dedup", "tokenizer", "shards"}
RUN_FACTS = {"_SUCCESS.json", "train_report.json", "stats.json", "manifest.json"}  # where and when, not what


def output_digest(out: Path | str) -> dict:
    """A number standing for everything the run produced (equal numbers: identical outputs)."""
    out = Path(out)
    digest = hashlib.sha256()
    for path in sorted(out.rglob("*")):
        name = path.relative_to(out).as_posix()
        if path.is_file() and name.split("/")[0] in STAGE_DIRS and path.name not in RUN_FACTS:
            digest.update(name.encode() + b"\0" + path.read_bytes())
    digest.update((out / "funnel.txt").read_bytes())
    rows = None
    if (out / "shards" / "manifest.json").exists():  # absent with an earlier --stop-after
        manifest = json.loads((out / "shards" / "manifest.json").read_text())
        manifest["tokenizer"].pop("path")
        digest.update(json.dumps(manifest, sort_keys=True).encode())
        rows = manifest["totals"]["rows"]
    return {"digest": int(digest.hexdigest()[:12], 16), "docs": rows}


def run_on_dask(out: str, workers: int = 2, stop_after: str = "shards") -> dict:
    from distributed import LocalCluster
    from distributed.client import _get_global_client

    from pipelines.cli import main

    started = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, processes=True, threads_per_worker=1, dashboard_address=None)
    cluster_s = time.perf_counter() - started
    try:
        argv = [a.replace("{out}", out) for a in RUN] + [stop_after]
        code = main([*argv, "--", "--runner=DaskRunner", f"--dask_client_address={cluster.scheduler_address}"])
        if code:
            raise SystemExit(code)
    finally:
        client = _get_global_client()
        if client is not None:
            client.close()
        cluster.close()
    return {"cluster_start_s": cluster_s, **output_digest(out)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--stop-after", default="shards", help="last stage run (default shards)")
    args = harness.parse_args(parser, argv, quick={"rounds": 1}, smoke={"rounds": 1, "stop_after": "extract:web"})
    sides = [
        harness.Side("default runner (FnApiRunner, multi_processing)", [sys.executable, "-m", "curation", *RUN, args.stop_after],
                     result=output_digest),
        harness.call(f"DaskRunner, LocalCluster {args.workers} processes x 1 thread", "bench.distributed:run_on_dask",
                     out="{out}", workers=args.workers, stop_after=args.stop_after),
    ]
    results = harness.compare(sides, rounds=args.rounds)
    digests = {run.values["digest"] for res in results for run in res.runs}
    cluster = results[1].median_value("cluster_start_s")
    harness.print_table(f"curation run configs/sample.yaml --stop-after {args.stop_after}: default runner vs Dask", results,
                        note=f"Dask cluster start-up (median, inside the Dask side's wall time): {cluster:.1f} s\n"
                             f"identical outputs on both runners in every round (documents, tokenizer, shards, "
                             f"manifest, funnel): {'yes' if len(digests) == 1 else 'NO'}")
    if len(digests) != 1:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
