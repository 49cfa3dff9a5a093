"""Collect Beam counters after a job: a table on the terminal and ``stats.json``.

Counters are grouped by namespace (one per stage or step); within a namespace,
``in``/``out``/``dropped:<rule>`` are the funnel and everything else is detail.
"""
from __future__ import annotations

import json
from typing import Any

from apache_beam.metrics.metric import MetricsFilter

from curation.io.paths import open_write


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
        return "(the runner reported no counters)"
    width = max(len(f"{ns}.{n}") for ns, values in stats.items() for n in values) + 2
    lines = [f"{'counter':<{width}}{'value':>14}", "-" * (width + 14)]
    for ns, values in stats.items():
        for name in sorted(values, key=_order):
            lines.append(f"{ns + '.' + name:<{width}}{values[name]:>14,}")
    return "\n".join(lines)


def write_stats(path: str, stats: dict[str, dict[str, int]], extra: dict[str, Any] | None = None) -> None:
    payload = {"counters": stats, **(extra or {})}
    with open_write(path) as fh:
        fh.write((json.dumps(payload, indent=2, sort_keys=True) + "\n").encode())


def run_and_report(pipeline, stats_path: str | None = None, extra: dict[str, Any] | None = None,
                   echo: bool = True) -> dict[str, dict[str, int]]:
    """Run ``pipeline`` to completion, print its counters table, write ``stats.json``."""
    result = pipeline.run()
    result.wait_until_finish()
    stats = collect_counters(result)
    if echo:
        print(format_table(stats), flush=True)
    if stats_path:
        write_stats(stats_path, stats, extra)
    return stats
