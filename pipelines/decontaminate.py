"""``Decontaminate``: drop or cut documents sharing n-grams with eval sets; the eval index is a side input.

The index (``filters.decontam.EvalIndex``: sorted uint64 n-gram hashes and their eval items,
12 bytes an n-gram) is built once, on one worker, from the eval files, and every worker receives
it as a singleton side input instead of reading the eval files itself. Counters in the namespace
``decontaminate`` (``in``, ``out``, ``dropped:<rule>``, ``ngram_hits``, ``docs_hit``, ``docs_cut``,
``item:<eval item id>``, and ``eval_*`` sizes of the index); with ``report:`` set, one JSONL row per
document with a hit (``id, url, action, ngrams, items``) is written there.
"""
from __future__ import annotations

import apache_beam as beam

from filters.decontam import DecontaminateConfig, EvalIndex
from pipelines.counters import CountingDoFn, counted
from pipelines.steps import DROPPED_TAG, ApplyStep
from pipelines.write import WriteRecords

REPORT_TAG = "report"


class _ApplyWithIndex(ApplyStep):
    """``ApplyStep`` whose step gets the side-input index instead of building its own."""

    def setup(self):
        pass  # the index arrives as a side input; nothing to load per worker

    def process(self, doc, index: EvalIndex):
        self.step.index = index
        yield from super().process(doc)
        if self.step.last_report is not None:
            yield beam.pvalue.TaggedOutput(REPORT_TAG, self.step.last_report)


class _BuildEvalIndex(CountingDoFn):
    """The eval sets -> one ``EvalIndex`` (on one worker), its sizes counted as ``eval_*``."""

    def __init__(self, config: DecontaminateConfig):
        self.config = config

    def process(self, _):
        config = self.config
        index = EvalIndex.build(config.eval_sets, config.n, config.fields)
        for name, value in index.stats.items():
            self.counters("decontaminate").inc(name, value)
        yield index


class Decontaminate(beam.PTransform):
    def __init__(self, config: DecontaminateConfig):
        super().__init__()
        self.config = config

    def expand(self, docs):
        config = self.config
        index = counted(docs.pipeline | "EvalSets" >> beam.Create([None]), "BuildEvalIndex",
                        _BuildEvalIndex(config))["main"]
        results = counted(docs, "Overlap", _ApplyWithIndex(config.step()), index=beam.pvalue.AsSingleton(index),
                          tags=(DROPPED_TAG, REPORT_TAG), main="kept")
        if config.report:
            _ = results[REPORT_TAG] | "WriteReport" >> WriteRecords(config.report, "decontamination", key="id")
        return results["kept"]
