"""The shared bench harness: interleaved rounds of subprocess sides, medians, one table.

Every measured side runs as its own subprocess, so each side pays its own start-up
(interpreter, imports, Beam) the same way, and memory is the side's alone::

    from bench import harness

    sides = [
        harness.call("bare loop", "bench.ingest:bare_loop", files=files),      # a function, in a child
        harness.Side("curation docs", [sys.executable, "-m", "curation", "docs",
                                       "--input", src, "--output", "{out}"],
                     result=lambda out: {"docs": docs_written(out)}),         # any command
    ]
    results = harness.compare(sides, rounds=3)
    harness.print_table("ingest: 10 MB of real pages", results, rate="docs")

- ``Side(name, argv, env=None, result=None, ok_returncodes=(0,))``: ``{out}`` in ``argv`` becomes a fresh empty
  directory per run (deleted afterwards); ``result(out)`` returns a dict of numbers read from it
  (documents written, ...), merged into the run's ``values``.
- ``call(name, "module:function", **kwargs)``: runs ``function(**kwargs)`` in a fresh
  interpreter (``python -m bench.harness``); kwargs must be JSON; the function returns a dict of
  numbers (its ``values``). Give it ``out="{out}"`` to get the fresh directory.
- ``compare(sides, rounds, warmup=0)``: runs the sides interleaved, round ``r`` in the order
  rotated by ``r`` (A B C, B C A, C A B, ...), so a noisy neighbour or a warming cache moves every
  side alike; ``warmup`` rounds run first and are not counted. A side that exits non-zero stops
  the bench with its output. Returns one ``SideResult`` per side, each with its ``runs``.
- ``print_table(title, results, rate=None, baseline=0)``: one table: wall and CPU seconds
  (medians), each side's ratio to the baseline side as median and [min-max] over the rounds
  (the ratio is taken per round, both sides measured in that round), peak RSS, and
  ``rate``/s from the values (``rate="docs"`` -> docs/s of wall time). ``note=`` adds a line;
  ``baseline`` may be a list, one baseline index per side (pairs in one table).
- ``parse_args(parser, argv, quick={...}, smoke={...})``: every bench's sizes: adds ``--quick``
  (CI-sized, under a minute: ``make bench``) and ``--smoke`` (seconds: tests/test_bench.py), each
  setting the given argument values over the defaults and the command line.

What is measured, per run:
- wall: ``time.perf_counter`` around the child, start-up included.
- CPU: user + system seconds of the child and every descendant it waited for, exact, from
  ``os.wait4``'s rusage (Beam's worker processes are waited for by the runner).
- peak RSS (tree): the largest sum of RSS over the child and all its descendants, sampled with
  psutil every ``POLL_S`` seconds. RSS sums count pages shared between forked processes once per
  process (an upper bound of the real footprint), and a spike shorter than the poll can be missed.
- max RSS (1 proc): the largest kernel high-water mark (``VmHWM`` in ``/proc/PID/status``) of
  any one process of the tree, as last read by the poll: it catches spikes between polls (not
  growth after the last one). ``os.wait4``'s ``ru_maxrss`` is not used: the kernel carries the
  spawning harness's own high-water mark into it across ``exec``. For a one-process side the
  two columns agree within a poll; for multi-process sides the tree figure is the one to read.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
POLL_S = 0.1  # psutil walks every process of the machine per poll: a cost to the machine
RESULT_ENV = "BENCH_RESULT_PATH"


@dataclass
class Side:
    """One thing to measure: a command line; ``{out}`` in it is a fresh directory per run."""
    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    result: Callable[[Path], dict] | None = None
    ok_returncodes: tuple[int, ...] = (0,)


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    peak_rss_tree_mb: float
    max_rss_proc_mb: float
    values: dict = field(default_factory=dict)


@dataclass
class SideResult:
    side: Side
    runs: list[Run] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.runs)

    def median_value(self, key: str) -> float:
        return statistics.median(r.values[key] for r in self.runs)


def call(name: str, target: str, env: dict[str, str] | None = None, **kwargs) -> Side:
    """A side that runs ``module:function(**kwargs)`` in a fresh interpreter."""
    return Side(name, [sys.executable, "-m", "bench.harness", target, json.dumps(kwargs)], env=env)


def measure(side: Side) -> Run:
    """Run one side once as a subprocess; wall, CPU and peak RSS of its process tree."""
    out = Path(tempfile.mkdtemp(prefix="bench-out-"))
    result_file = out.with_name(out.name + ".result.json")
    argv = [a.replace("{out}", str(out)) for a in side.argv]
    env = {**os.environ, **(side.env or {}), RESULT_ENV: str(result_file)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    log = tempfile.TemporaryFile()
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        peak, hwm = _poll_tree(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in side.ok_returncodes:
            log.seek(0)
            sys.stderr.write(log.read()[-4000:].decode(errors="replace"))
            raise SystemExit(f"bench side {side.name!r} failed ({proc.returncode}): {' '.join(argv)}")
        values = json.loads(result_file.read_text()) if result_file.exists() else {}
        if side.result:
            values.update(side.result(out))
        return Run(wall, usage.ru_utime + usage.ru_stime, peak / 2**20, hwm / 2**20, values)
    finally:
        log.close()
        shutil.rmtree(out, ignore_errors=True)
        result_file.unlink(missing_ok=True)


def _poll_tree(pid: int) -> tuple[int, int]:
    """Until ``pid`` exits (it is left for the caller to reap): the largest RSS sum (bytes) of it
    and its descendants, and the largest high-water mark of any one of them."""
    peak, high_water = 0, {}
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return 0, 0
    while True:
        total = 0
        try:
            if root.status() == psutil.STATUS_ZOMBIE:
                break
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for p in procs:
            try:
                rss = p.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            total += rss
            high_water[p.pid] = max(high_water.get(p.pid, 0), rss, _vm_hwm(p.pid))
        peak = max(peak, total)
        time.sleep(POLL_S)
    return peak, max(high_water.values(), default=0)


def _vm_hwm(pid: int) -> int:
    """The kernel's RSS high-water mark of one process (Linux), 0 where unavailable."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def compare(sides: list[Side], rounds: int = 3, warmup: int = 0, verbose: bool = True) -> list[SideResult]:
    """Run every side ``rounds`` times, interleaved, the order rotated each round."""
    results = [SideResult(s) for s in sides]
    for r in range(-warmup, rounds):
        order = [(i + r) % len(sides) for i in range(len(sides))]
        for i in order:
            run = measure(sides[i])
            if r >= 0:
                results[i].runs.append(run)
            if verbose:
                tag = "warm-up" if r < 0 else f"round {r + 1}/{rounds}"
                print(f"  [{tag}] {sides[i].name}: {run.wall_s:.2f} s wall, {run.cpu_s:.2f} s CPU, "
                      f"{run.peak_rss_tree_mb:.0f} MB", file=sys.stderr, flush=True)
    return results


def ratio_cell(results: list[SideResult], index: int, baseline: int, attr: str) -> str:
    """Median and [min-max] over rounds of side/baseline, each ratio within one round."""
    if index == baseline:
        return "1.00x"
    ratios = [getattr(a, attr) / getattr(b, attr) for a, b in zip(results[index].runs, results[baseline].runs)
              if getattr(b, attr) > 0]
    if not ratios:
        return "-"
    return f"{statistics.median(ratios):.2f}x [{min(ratios):.2f}-{max(ratios):.2f}]"


def format_table(title: str, results: list[SideResult], rate: str | None = None,
                 baseline: int | list[int] = 0, note: str | None = None) -> str:
    rounds = min(len(r.runs) for r in results)
    bases = baseline if isinstance(baseline, list) else [baseline] * len(results)
    header = ["side", "wall s", "wall vs base", "CPU s", "CPU vs base", "peak RSS tree MB", "max RSS 1 proc MB"]
    if rate:
        header += [rate, f"{rate}/s"]
    rows = []
    for i, res in enumerate(results):
        row = [res.side.name, f"{res.median('wall_s'):.2f}", ratio_cell(results, i, bases[i], "wall_s"),
               f"{res.median('cpu_s'):.2f}", ratio_cell(results, i, bases[i], "cpu_s"),
               f"{res.median('peak_rss_tree_mb'):.0f}", f"{res.median('max_rss_proc_mb'):.0f}"]
        if rate:
            count = res.median_value(rate)
            per_s = statistics.median(r.values[rate] / r.wall_s for r in res.runs)
            row += [f"{count:,.0f}", f"{per_s:,.1f}"]
        rows.append(row)
    widths = [max(len(h), *(len(r[c]) for r in rows)) for c, h in enumerate(header)]
    line = lambda cells: "  ".join(  # noqa: E731
        c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(cells, widths)))
    base_names = "', '".join(dict.fromkeys(results[b].side.name for b in bases))
    text = [f"\n## {title}", f"medians of {rounds} interleaved round(s); vs base = ratio to "
            f"'{base_names}' per round, median [min-max]", line(header),
            line(["-" * w for w in widths]), *map(line, rows)]
    if note:
        text.append(note)
    return "\n".join(text)


def print_table(title: str, results: list[SideResult], rate: str | None = None,
                baseline: int | list[int] = 0, note: str | None = None) -> None:
    print(format_table(title, results, rate, baseline, note), flush=True)


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None = None, quick: dict | None = None,
               smoke: dict | None = None) -> argparse.Namespace:
    """``parser.parse_args`` with ``--quick`` and ``--smoke`` size modes (see the module docstring)."""
    parser.add_argument("--quick", action="store_true", help=f"CI-sized run, under a minute: {quick}")
    parser.add_argument("--smoke", action="store_true", help=f"seconds, for the test suite: {smoke}")
    args = parser.parse_args(argv)
    for flag, values in (("quick", quick), ("smoke", smoke)):
        if getattr(args, flag):
            for key, value in (values or {}).items():
                setattr(args, key, value)
    return args


def _run_call(target: str, kwargs_json: str) -> None:
    module, _, function = target.partition(":")
    values = getattr(importlib.import_module(module), function)(**json.loads(kwargs_json)) or {}
    path = os.environ.get(RESULT_ENV)
    if path:
        Path(path).write_text(json.dumps(values))


if __name__ == "__main__":
    _run_call(sys.argv[1], sys.argv[2])
