"""Run any ``filters.base.DocumentStep`` inside Beam, with counters.

Counts use the step's name as the namespace: ``in``, ``out``, ``bytes_in``,
``bytes_out``, ``dropped:<rule>`` and whatever finer counts the step returns. They are
Beam counters and data (``pipelines.counters``); ``pipelines.metrics`` turns them into the
stats table, ``counts.json`` and ``stats.json``.
"""
from __future__ import annotations

from typing import Any

import apache_beam as beam

from filters.base import DocumentStep
from pipelines.counters import CountingDoFn, counted

DROPPED_TAG = "dropped"


def text_bytes(doc: dict[str, Any]) -> int:
    return len(doc["text"].encode("utf-8", "surrogatepass"))


class ApplyStep(CountingDoFn):
    """Apply one step; dropped documents go to the ``dropped`` output tagged with the rule."""

    def __init__(self, step: DocumentStep):
        self.step = step
        self._inc = self.counters(step.name).inc

    def setup(self):
        self.step.setup()

    def process(self, doc: dict[str, Any]):
        self._inc("in")
        self._inc("bytes_in", text_bytes(doc))
        result = self.step.process(doc)
        for key, value in result.counts.items():
            self._inc(key, value)
        if result.doc is None:
            self._inc(f"dropped:{result.dropped_by}")
            yield beam.pvalue.TaggedOutput(DROPPED_TAG, {"id": doc["id"], "rule": f"{self.step.name}:{result.dropped_by}"})
            return
        self._inc("out")
        self._inc("bytes_out", text_bytes(result.doc))
        yield result.doc


class ApplySteps(beam.PTransform):
    """Chain several steps; returns the surviving documents (dropped ids are discarded)."""

    def __init__(self, steps: list[DocumentStep], label_prefix: str = ""):
        super().__init__()
        self.steps = steps
        self.label_prefix = label_prefix

    def expand(self, docs):
        for step in self.steps:
            outputs = counted(docs, f"{self.label_prefix}{step.name}", ApplyStep(step), tags=(DROPPED_TAG,),
                              main="kept")
            docs = outputs["kept"]
        return docs
