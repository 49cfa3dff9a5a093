"""Benchmark: connected components of a duplicate graph, large-star/small-star rounds vs one
union-find CombineFn (the algorithm before issue 12), side by side. Run through bench/dedup.py:

    python bench/dedup.py --components                      # ~1.1M edges
    python bench/dedup.py --components --edges 300000 --repeats 1

Graph (seeded): one giant cluster (a random spanning tree plus random extra edges), long
chains whose documents are in random keep-rank order, one chain in keep-rank order (the
slowest case for the rounds), and many pairs and triangles, as MinHash clusters mostly are.
Each method runs as a Beam pipeline (FnApiRunner, ``--workers`` worker processes) in its own
process, reading the edges from a text file and writing the assignments; both outputs are
compared. Peak RSS is that of the largest worker process (RUSAGE_CHILDREN: the union-find's
final merge happens in one worker, whatever the worker count). Medians over ``--repeats``
runs, the two methods interleaved.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

import apache_beam as beam

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))

from bench import harness  # noqa: E402
from filters.dedup_clusters import Node, UnionFind  # noqa: E402


def synthetic_graph(target_edges: int, seed: int) -> tuple[list[tuple], dict]:
    """Edges ``((id, quality, False), (id, quality, False))`` and a description of the graph."""
    rng = random.Random(seed)
    counter = iter(range(10 ** 9))
    node = lambda: (f"{rng.getrandbits(64):016x}{next(counter):08d}", round(rng.random(), 4), False)  # noqa: E731
    edges: list[tuple] = []
    giant_nodes = [node() for _ in range(target_edges // 10)]
    for k in range(1, len(giant_nodes)):  # random spanning tree, then as many edges again at random
        edges.append((giant_nodes[k], giant_nodes[rng.randrange(k)]))
    for _ in range(len(giant_nodes)):
        edges.append((rng.choice(giant_nodes), rng.choice(giant_nodes)))
    chain_len = 5000
    chains = max(1, target_edges // 4 // chain_len)
    for _ in range(chains):
        chain = [node() for _ in range(chain_len)]
        edges += list(zip(chain, chain[1:]))
    ordered = sorted((node() for _ in range(chain_len)), key=lambda n: (-n[1], n[0]))
    ordered = [(n[0], 1.0 - k / chain_len, False) for k, n in enumerate(ordered)]  # quality falls along it
    edges += list(zip(ordered, ordered[1:]))
    small = 0
    while len(edges) < target_edges:
        a, b, c = node(), node(), node()
        edges += [(a, b), (b, c), (a, c)] if rng.random() < 0.3 else [(a, b)]
        small += 1
    rng.shuffle(edges)
    return edges, {"edges": len(edges), "giant": len(giant_nodes), "chains": f"{chains} x {chain_len} + 1 ordered",
                   "small clusters": small}


def peak_worker_rss_mb() -> float:
    return max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
               resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def run_method(method: str, edges_path: str, out_dir: str, workers: int, max_rounds: int, queue) -> None:
    from pipelines.options import make_options

    args = ["--direct_running_mode=multi_processing", f"--direct_num_workers={workers}"]
    pipeline = beam.Pipeline(options=make_options(args))
    edges = (pipeline | beam.io.ReadFromText(edges_path)
             | beam.Map(lambda line: tuple(tuple(n) for n in json.loads(line))))
    components = None
    if method == "union-find CombineFn":
        assignments = (edges | beam.CombineGlobally(UnionFindCombineFn("highest_quality"))
                       | beam.FlatMap(lambda rows: ((r[0], r) for r in rows)))
    else:
        from pipelines.dedup_components import ConnectedComponents

        components = ConnectedComponents("highest_quality", max_rounds)
        assignments = edges | components
        components.rounds | "Rounds" >> beam.Map(json.dumps) | "WriteRounds" >> beam.io.WriteToText(
            os.path.join(out_dir, "rounds"))
    assignments | beam.Map(lambda kv: json.dumps(list(kv[1]))) | beam.io.WriteToText(os.path.join(out_dir, "assign"))
    start = time.perf_counter()
    pipeline.run().wait_until_finish()
    wall = time.perf_counter() - start
    rounds = None
    if components is not None:
        rounds = [json.loads(line) for p in Path(out_dir).glob("rounds*") for line in p.read_text().splitlines()]
    digest = hashlib.sha256()
    lines = sorted(line for p in Path(out_dir).glob("assign*") for line in p.read_text().splitlines())
    for line in lines:
        digest.update(line.encode())
    queue.put({"wall": wall, "rss": peak_worker_rss_mb(), "rounds": rounds[0] if rounds else None,
               "assignments": len(lines), "digest": digest.hexdigest()})


def _run_reporting_errors(*args) -> None:
    queue = args[-1]
    try:
        run_method(*args)
    except BaseException:
        queue.put({"error": traceback.format_exc()})
        raise


def in_process(*args) -> dict:
    """``run_method(*args)`` in a fresh spawned process (bench/dedup.py's ``in_process``), errors raised here."""
    from bench.dedup import in_process as spawned

    result = spawned(_run_reporting_errors, *args)
    if "error" in result:
        raise RuntimeError(f"{args[0]} failed:\n{result['error']}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edges", type=int, default=1_100_000)
    parser.add_argument("--workers", type=int, default=2, help="FnApiRunner worker processes")
    parser.add_argument("--max-rounds", type=int, default=None, help="rounds unrolled (default: DedupConfig's)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["union-find", "rounds"], help="run one side only (e.g. the other was measured)")
    args = harness.parse_args(parser, argv, quick={"edges": 100_000, "repeats": 1},
                              smoke={"edges": 2000, "repeats": 1})

    from filters.dedup_config import DedupConfig

    max_rounds = args.max_rounds or DedupConfig().components_max_rounds
    start = time.perf_counter()
    edges, shape = synthetic_graph(args.edges, args.seed)
    work = tempfile.mkdtemp(prefix="bench-components-")
    edges_path = os.path.join(work, "edges.jsonl")
    with open(edges_path, "w") as fh:
        fh.writelines(json.dumps(e) + "\n" for e in edges)
    print(f"graph: {', '.join(f'{k} {v:,}' if isinstance(v, int) else f'{k} {v}' for k, v in shape.items())}; "
          f"made in {time.perf_counter() - start:.0f} s", flush=True)
    methods = [m for m in ("union-find CombineFn", "large-star/small-star rounds")
               if args.only is None or m.startswith(args.only.replace("rounds", "large"))]
    runs: dict[str, list[dict]] = {m: [] for m in methods}
    for repeat in range(args.repeats):
        for method in methods:
            out = os.path.join(work, f"{method.split()[0]}-{repeat}")
            runs[method].append(in_process(method, edges_path, out, args.workers, max_rounds))
            last = runs[method][-1]
            print(f"  {method}: {last['wall']:.1f} s, peak worker RSS {last['rss']:,.0f} MB", flush=True)
    digests = {r["digest"] for rs in runs.values() for r in rs}
    print(f"\n{'connected components':<32}{'rounds':>8}{'wall s':>9}{'peak worker RSS MB':>20}{'assignments':>13}")
    for method, rs in runs.items():
        rounds = rs[0]["rounds"]
        print(f"{method:<32}{rounds if rounds is not None else '-':>8}{statistics.median(r['wall'] for r in rs):>9.1f}"
              f"{statistics.median(r['rss'] for r in rs):>20,.0f}{rs[0]['assignments']:>13,}")
    print(f"(median of {args.repeats}; FnApiRunner multi_processing, {args.workers} workers; rounds unrolled: "
          f"{max_rounds}; identical assignments: {'yes' if len(digests) == 1 else 'NO'}; work dir {work})")


class UnionFindCombineFn(beam.CombineFn):
    """The CombineFn of pipelines/dedup.py before issue 12: union-find over all edges, one final merge."""

    def __init__(self, rule: str):
        self.rule = rule

    def create_accumulator(self):
        return UnionFind()

    def add_input(self, uf, edge):
        uf.union(Node(*edge[0]), Node(*edge[1]))
        return uf

    def merge_accumulators(self, accumulators):
        accumulators = iter(accumulators)
        first = next(accumulators)
        for other in accumulators:
            first.merge(other)
        return first

    def extract_output(self, uf):
        return [tuple(a) for a in uf.assignments(self.rule)]


if __name__ == "__main__":
    # Run from the module, not __main__: Beam's worker processes unpickle this file's DoFns by module name.
    from bench.dedup_components import main as module_main

    module_main()
