"""Exact document dedup in Beam: ``docs | ExactDedup(config, rule)`` -> ``{"kept", "duplicates"}``.

1. every document -> its text key (:func:`filters.dedup_exact.text_key`);
2. a per-key combine of :class:`filters.dedup_exact.BestCopy`: per key only the number of
   copies and the best keep rank travel (combined per bundle before the shuffle), never a
   list of the copies;
3. the best copy joins the documents of its key (one grouping of both, no ``CoGroupByKey``),
   streamed: sorted best copy first, a key's documents are read one at a time, never as one
   list (a text on a million pages). The copy whose id is the keeper's stays; the others
   become duplicates with ``dedup_cluster`` = the keeper's id and ``dedup_cluster_size`` = copies.

Both go through :mod:`pipelines.spill` (sorted spill runs, fed a tuple rather than a
``Flatten``): Beam's own ``CombinePerKey`` and ``GroupByKey`` held every distinct text's
accumulator and every document in memory on the local runner (5.2 GB of RSS for the
documents of a 1 GB WARC, ``bench/dedup.py --memory``).

Counters (namespace ``dedup.exact``): ``in``, ``out``, ``dropped:exact_duplicate``, ``groups``
(texts present more than once).
"""
from __future__ import annotations

import apache_beam as beam

from curation.io.sorted_runs import group_runs
from filters.dedup_config import ExactDedupConfig
from filters.dedup_exact import BestCopy, better, copy_of, text_key
from pipelines.counters import CountingDoFn, counted
from pipelines.spill import (
    DONE_TAG,
    RECORDS_PER_PARTITION,
    ExternalCombinePerKey,
    RemoveWhenDone,
    SpilledPartitions,
    partition_runs,
    spill_directory,
)

NS = "dedup.exact"
DUPLICATES_TAG = "duplicates"
_BEST, _DOC = 0, 1


class _BestCopyFn(beam.CombineFn):
    def create_accumulator(self):
        return None

    def add_input(self, best, copy):
        return better(best, BestCopy(*copy))

    def merge_accumulators(self, accumulators):
        best = None
        for other in accumulators:
            if other is not None:
                best = better(best, BestCopy(*other))
        return best

    def extract_output(self, best):
        return tuple(best)


def _best_first(value) -> int:
    """The order of a key's values in the spill runs: its best copy (``_BEST``), then its documents."""
    return value[0]


class _KeepBest(CountingDoFn):
    """One partition of the text keys -> per key, the keeper's document(s) kept, the others duplicates.

    A key's values stream out of the spill runs best copy first (:func:`_best_first`), so the
    copies of one text are never held together: a boilerplate page on a million URLs costs one
    document at a time.
    """

    def process(self, partition):
        index, count, runs = partition
        inc = self.counters(NS).inc
        for _, values in group_runs(partition_runs(runs), index, count, order=_best_first, lazy=True):
            tag, best = next(values)
            if tag != _BEST:  # every key has its best copy, and it sorts first
                raise RuntimeError("exact dedup: a text key came without its best copy")
            best = BestCopy(*best)
            if best.copies > 1:
                inc("groups")
            for _, doc in values:
                inc("in")
                if doc["id"] == best.keeper:  # a record repeated under one id stays for near-dedup to count
                    inc("out")
                    yield doc
                else:
                    inc("dropped:exact_duplicate")
                    yield beam.pvalue.TaggedOutput(DUPLICATES_TAG, dict(
                        doc, dedup_cluster=best.keeper, dedup_cluster_size=best.copies, duplicate=True))
        yield beam.pvalue.TaggedOutput(DONE_TAG, index)


class ExactDedup(beam.PTransform):
    def __init__(self, config: ExactDedupConfig | None = None, rule: str = "highest_quality"):
        super().__init__()
        self.config = config or ExactDedupConfig()
        self.rule = rule

    def expand(self, docs):
        lowercase, rule = self.config.lowercase, self.rule
        keyed = docs | "TextKey" >> beam.Map(lambda d: (text_key(d, lowercase), d))
        best = (
            keyed
            | "Copy" >> beam.Map(lambda kv: (kv[0], tuple(copy_of(kv[1], rule))))
            | "BestCopy" >> ExternalCombinePerKey(_BestCopyFn())
        )
        directory = spill_directory(docs.pipeline)
        partitions = (
            (best | "TagBest" >> beam.Map(lambda kv: (kv[0], (_BEST, kv[1]))),
             keyed | "TagDoc" >> beam.Map(lambda kv: (kv[0], (_DOC, kv[1]))))
            | "ByText" >> SpilledPartitions(directory, RECORDS_PER_PARTITION, order=_best_first)
        )
        result = counted(partitions, "KeepBest", _KeepBest(), tags=(DUPLICATES_TAG, DONE_TAG), main="kept")
        result[DONE_TAG] | "Cleanup" >> RemoveWhenDone(directory)
        return {"kept": result.kept, "duplicates": result[DUPLICATES_TAG]}
