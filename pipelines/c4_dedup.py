"""``DedupC4``: C4's dedup over the whole data set, either mode, as a Beam transform that scales.

A mode is a unit from ``filters`` (``filters.c4_lines.LineDedup``: the released
C4; ``filters.c4_spans.SpanDedup``: C4 1.0.x and the T5 paper) with
``votes(doc) -> (key, priority, position)`` and ``apply(doc, won)``. The
transform:

1. every page votes for each of its keys (a line, a span) with
   ``(priority, doc id, position)``;
2. ``ExternalCombinePerKey(_FirstVote)`` keeps, per key, only the smallest vote and
   the number of votes: constant state per key, combined within each bundle before
   the shuffle, so a line on ten million pages never becomes a ten-million-element
   group; the accumulators cross the shuffle as sorted spill runs
   (``pipelines/spill.py``), so no worker holds every distinct line of the crawl;
3. each winning vote is routed to its page as ``(doc id, (WON, (key, position)))``;
4. pages keyed ``(doc id, (PAGE, doc))`` and the wins are grouped by doc id together
   (``ExternalGroupByKey`` of the two, plain tuples: no ``Flatten``, which the local
   runner materialises, and no ``CoGroupByKey`` of tagged dicts, which Beam's Dask
   runner cannot evaluate). A group holds one page and at most one win per key of that page;
5. the unit keeps what the page won and drops the rest, then re-checks the page.

Counters in the unit's namespace (``c4_line_dedup`` / ``c4_span_dedup``):
``in``, ``out``, ``bytes_in``, ``bytes_out``, ``dropped:<rule>``, the unit's
counts, and ``duplicated_lines`` / ``duplicated_spans`` (keys with more than one vote).
"""
from __future__ import annotations

import apache_beam as beam

from pipelines.counters import CountingDoFn, counted
from pipelines.spill import ExternalCombinePerKey, ExternalGroupByKey
from pipelines.steps import text_bytes

PAGE, WON = 0, 1  # tags of the values grouped by doc id


class _FirstVote(beam.CombineFn):
    """Per key: ``(smallest vote, number of votes)``."""

    def create_accumulator(self):
        return None, 0

    def add_input(self, accumulator, vote):
        best, n = accumulator
        return (vote if best is None or vote < best else best), n + 1

    def merge_accumulators(self, accumulators):
        best, n = None, 0
        for vote, count in accumulators:
            n += count
            if vote is not None and (best is None or vote < best):
                best = vote
        return best, n

    def extract_output(self, accumulator):
        return accumulator


class _KeepWins(CountingDoFn):
    def __init__(self, unit):
        self.unit = unit

    def process(self, element):
        _, tagged = element
        pages, won = [], set()
        for tag, value in tagged:
            if tag == PAGE:
                pages.append(value)
            else:
                won.add(value)
        counters = self.counters(self.unit.name)
        for doc in pages:  # one, unless the same document was read twice
            counters.inc("in")
            counters.inc("bytes_in", text_bytes(doc))
            text, rule, counts = self.unit.apply(doc, won)
            for name, value in counts.items():
                counters.inc(name, value)
            if text is None:
                counters.inc(f"dropped:{rule}")
                continue
            out = doc if text == doc["text"] else {**doc, "text": text}
            counters.inc("out")
            counters.inc("bytes_out", text_bytes(out))
            yield out


class DedupC4(beam.PTransform):
    """Keep each key (line, span) only where its smallest vote came from; see the module doc."""

    def __init__(self, unit):
        super().__init__()
        self.unit = unit

    def expand(self, docs):
        unit = self.unit

        def votes(doc):
            for key, priority, position in unit.votes(doc):
                yield key, (priority, doc["id"], position)

        wins = counted(docs | "Votes" >> beam.FlatMap(votes) | "FirstVote" >> ExternalCombinePerKey(_FirstVote()),
                       "RouteWins", _RouteWins(unit))["main"]
        pages = docs | "KeyById" >> beam.Map(lambda d: (d["id"], (PAGE, d)))
        grouped = (pages, wins) | "GroupById" >> ExternalGroupByKey()
        return counted(grouped, "KeepWins", _KeepWins(unit))["main"]


class _RouteWins(CountingDoFn):
    """``(key, (smallest vote, votes))`` -> ``(doc id, (WON, (key, position)))``, counting repeated keys."""

    def __init__(self, unit):
        self.unit = unit

    def process(self, element):
        key, ((_, doc_id, position), n) = element
        if n > 1:
            self.counters(self.unit.name).inc(self.unit.repeated)
        yield doc_id, (WON, (key, position))
