"""A stage's counts: summed inside the pipeline, then a table on the terminal and ``stats.json``.

Counts are grouped by namespace (one per stage or step); within a namespace,
``in``/``out``/``dropped:<rule>`` are the funnel and everything else is detail. The
pipeline itself sums the counts every :class:`pipelines.counters.CountingDoFn` emitted and
writes them to ``OUTPUT/counts.json`` (:func:`attach_counts`), so they are exact and the same
on every runner; the launcher reads that file back into ``stats.json`` and the table. Beam's
own metrics (:func:`collect_counters`) stay for runner UIs and for checking the two agree.
"""
from __future__ import annotations

import json
from typing import Any

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter

from curation.io.completion import replace_output, write_success
from curation.io.paths import join, open_read, write_atomic
from pipelines.counters import registered_counts

COUNTS_FILE = "counts.json"
STATS_FILE = "stats.json"


def collect_counters(result) -> dict[str, dict[str, int]]:
    """``{namespace: {name: value}}`` from a finished pipeline result.

    Committed values where the runner supports them, else attempted ones; a runner
    without metrics support (e.g. Dask) gives an empty dict rather than failing.
    """
    try:
        counters = result.metrics().query(MetricsFilter())["counters"]
    except (NotImplementedError, AttributeError, KeyError):
        return {}
    stats: dict[str, dict[str, int]] = {}
    for counter in counters:
        value = counter.committed if counter.committed is not None else counter.attempted
        ns = stats.setdefault(counter.key.metric.namespace, {})
        ns[counter.key.metric.name] = ns.get(counter.key.metric.name, 0) + int(value or 0)
    return {ns: dict(sorted(values.items())) for ns, values in sorted(stats.items())}


def _order(name: str) -> tuple[int, str]:
    rank = {"in": 0, "out": 1, "bytes_in": 2, "bytes_out": 3}
    return (rank.get(name, 4 if name.startswith("dropped:") else 5), name)


def format_table(stats: dict[str, dict[str, int]]) -> str:
    """A plain-text table, one block per namespace, funnel counters first."""
    if not stats:
        return "(no counts)"
    width = max(len(f"{ns}.{n}") for ns, values in stats.items() for n in values) + 2
    lines = [f"{'counter':<{width}}{'value':>14}", "-" * (width + 14)]
    for ns, values in stats.items():
        for name in sorted(values, key=_order):
            lines.append(f"{ns + '.' + name:<{width}}{values[name]:>14,}")
    return "\n".join(lines)


def write_stats(path: str, stats: dict[str, dict[str, int]], extra: dict[str, Any] | None = None) -> None:
    _write_json(path, {"counters": stats, **(extra or {})})


class SumCounts(beam.CombineFn):
    """``{namespace: {name: n}}`` dicts summed name by name."""

    def create_accumulator(self):
        return {}

    def add_input(self, total, counts):
        for namespace, values in counts.items():
            into = total.setdefault(namespace, {})
            for name, value in values.items():
                into[name] = into.get(name, 0) + value
        return total

    def merge_accumulators(self, accumulators):
        total: dict = {}
        for acc in accumulators:
            self.add_input(total, acc)
        return total

    def extract_output(self, total):
        return {ns: dict(sorted(values.items())) for ns, values in sorted(total.items())}


def _write_json(path: str, payload: dict[str, Any]) -> None:
    write_atomic(path, (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode())


def attach_counts(pipeline, path: str) -> None:
    """Make ``pipeline`` sum every registered counts output and write the total to ``path``."""
    parts = registered_counts(pipeline) or [pipeline | "NoCounts" >> beam.Create([])]
    (parts
     | "AllCounts" >> beam.Flatten()
     | "SumCounts" >> beam.CombineGlobally(SumCounts())
     | "WriteCounts" >> beam.Map(lambda counts: _write_json(path, counts)))


def read_counts(path: str) -> dict[str, dict[str, int]]:
    with open_read(path) as fh:
        return json.loads(fh.read().decode("utf-8"))


def run_and_report(pipeline, output_dir: str, extra: dict[str, Any] | None = None, echo: bool = True,
                   inputs: list[str] | None = None, marker: dict[str, Any] | None = None) -> dict[str, dict[str, int]]:
    """Run ``pipeline`` to completion with its counts written to ``OUTPUT/counts.json``; print
    them as a table, write ``OUTPUT/stats.json`` (counts plus ``extra``); return the counts.

    What an earlier write left in ``output_dir`` is removed first, and ``_SUCCESS.json``
    (:mod:`curation.io.completion`, with ``marker``'s fields) is written last, when every
    file is in place: the only sign a later stage trusts.
    """
    replace_output(output_dir, inputs or (extra or {}).get("inputs") or ())
    counts_path = join(output_dir, COUNTS_FILE)
    attach_counts(pipeline, counts_path)
    result = pipeline.run()
    result.wait_until_finish()
    stats = read_counts(counts_path)
    if echo:
        print(format_table(stats), flush=True)
    write_stats(join(output_dir, STATS_FILE), stats, extra)
    write_success(output_dir, counters=stats, **(marker or {}))  # no clock in it: same input, same bytes
    return stats
