"""Counts of a stage, kept twice: as Beam counters (for the runner's UI) and as data.

Beam metrics are not available on every runner (the Dask runner reports none, Dataflow
reports attempted and committed values), so the numbers behind ``stats.json``, the funnel
and the report travel through the pipeline itself. A :class:`CountingDoFn` sums its counts
per bundle and emits them once, from ``finish_bundle``, on the ``COUNTS_TAG`` output;
:func:`counted` applies such a DoFn and registers that output with the pipeline, and
``pipelines.metrics`` sums every registered output into the stage's ``counts.json``. A
bundle that fails is retried with its outputs discarded, so the counts are exact on every
runner.
"""
from __future__ import annotations

import weakref
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from pipelines import beam_memo  # noqa: F401 - memoized DoFn introspection, also in the workers

COUNTS_TAG = "_counts"
# Pipeline -> the COUNTS_TAG PCollections applied to it (see ``pipelines.metrics.attach_counts``).
_REGISTERED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Counters:
    """Counters of one namespace, created on first use (names are often data-dependent)."""

    def __init__(self, namespace: str):
        self.namespace = namespace
        self._made: dict[str, Any] = {}
        self.pending: dict[str, int] = {}  # counts since the last drain (this bundle)

    def inc(self, name: str, value: int = 1) -> None:
        if name not in self._made:
            self._made[name] = Metrics.counter(self.namespace, name)
        self._made[name].inc(value)
        self.pending[name] = self.pending.get(name, 0) + value

    def drain(self) -> dict[str, int]:
        pending, self.pending = self.pending, {}
        return pending


class CountingDoFn(beam.DoFn):
    """A DoFn whose counts are data: ``self.counters(namespace).inc(name)`` while processing.

    Apply it with :func:`counted` (its ParDo needs the ``COUNTS_TAG`` output). Subclasses that
    define ``start_bundle``/``finish_bundle`` must call these.
    """

    def counters(self, namespace: str) -> Counters:
        groups = self.__dict__.setdefault("_count_groups", {})
        if namespace not in groups:
            groups[namespace] = Counters(namespace)
        return groups[namespace]

    def start_bundle(self):
        for group in self.__dict__.get("_count_groups", {}).values():
            group.drain()  # left over from a failed bundle on a reused instance

    def finish_bundle(self):
        counts = {}
        for namespace, group in self.__dict__.get("_count_groups", {}).items():
            drained = group.drain()
            if drained:
                counts[namespace] = drained
        if counts:
            yield beam.pvalue.TaggedOutput(COUNTS_TAG, WindowedValue(counts, MIN_TIMESTAMP, (GlobalWindow(),)))


def counted(pcoll, label: str, dofn: CountingDoFn, *args: Any, tags: tuple[str, ...] = (),
            main: str = "main", **kwargs: Any):
    """``pcoll | label >> ParDo(dofn, *args, **kwargs)`` with its counts registered.

    Returns the ParDo's outputs (``outputs[main]``, ``outputs[tag]`` for each of ``tags``).
    """
    outputs = pcoll | label >> beam.ParDo(dofn, *args, **kwargs).with_outputs(COUNTS_TAG, *tags, main=main)
    register_counts(outputs[COUNTS_TAG])
    return outputs


def register_counts(pcoll) -> None:
    _REGISTERED.setdefault(pcoll.pipeline, []).append(pcoll)


def registered_counts(pipeline) -> list:
    return list(_REGISTERED.get(pipeline, []))
