"""``FilterDocuments``: the C4 (and optionally Gopher) filter stage as Beam transforms.

Order (the C4 order, Gopher where FineWeb puts it, before C4 cleaning):

0. ``c4_length``: pages over 190,000 characters go (TFDS: before URL dedup, so a
   too-long newest capture leaves the older one);
1. ``url_dedup``: one page per (normalised) URL, the latest crawl, ties by lowest id;
2. ``gopher_repetition``, ``gopher_quality`` (off unless enabled);
3. ``c4``: line rules, page rules, sentence minimum (``filters.c4.C4Filter``);
4. ``c4_span_dedup``: every three-sentence span that occurs more than once in the
   whole data set is kept only at its first occurrence (lowest doc id, position);
   the others lose the span's sentences and are re-checked (empty, too few sentences);
5. ``langid`` (records ``language``/``language_score``), then ``badwords``.

Steps 1 and 4 group over the whole PCollection (GroupByKey / CoGroupByKey), so
duplicates are found across input files and workers. Every namespace satisfies
``in == out + sum(dropped:*)``.
"""
from __future__ import annotations

import apache_beam as beam

from filters.c4 import normalize_url, select_newest
from filters.c4_spans import drop_spans, losing_occurrences, span_hashes
from filters.config import FiltersConfig, steps_after_dedup, steps_before_dedup, steps_before_url_dedup
from pipelines.counters import Counters
from pipelines.decontaminate import Decontaminate
from pipelines.steps import ApplySteps, text_bytes


class _PickNewest(beam.DoFn):
    def __init__(self):
        self.counters = Counters("url_dedup")

    def process(self, element):
        _, docs = element
        docs = list(docs)
        kept = select_newest(docs)
        self.counters.inc("in", len(docs))
        self.counters.inc("bytes_in", sum(text_bytes(d) for d in docs))
        self.counters.inc("out")
        self.counters.inc("bytes_out", text_bytes(kept))
        if len(docs) > 1:
            self.counters.inc("dropped:duplicate_url", len(docs) - 1)
        yield kept


class _KeyByUrl(beam.DoFn):
    def __init__(self, normalize: bool):
        self.normalize = normalize

    def process(self, doc):
        url = doc.get("url")
        if not url:
            yield beam.pvalue.TaggedOutput("no_url", doc)
        else:
            yield (normalize_url(url) if self.normalize else url), doc


class DedupUrls(beam.PTransform):
    """Keep one document per URL (normalised as C4 does unless ``normalize=False``).

    Documents without a URL pass through (counted ``no_url``, and in ``in``/``out``).
    """

    def __init__(self, normalize: bool = True):
        super().__init__()
        self.normalize = normalize

    def expand(self, docs):
        normalize = self.normalize
        counters = Counters("url_dedup")  # for documents without a URL

        def pass_through(doc):
            counters.inc("in")
            counters.inc("out")
            counters.inc("no_url")
            counters.inc("bytes_in", text_bytes(doc))
            counters.inc("bytes_out", text_bytes(doc))
            return doc

        split = docs | "KeyByUrl" >> beam.ParDo(_KeyByUrl(normalize)).with_output_types(
            tuple[str, dict]).with_outputs("no_url", main="keyed")
        newest = (split.keyed | "GroupByUrl" >> beam.GroupByKey()
                  | "PickNewest" >> beam.ParDo(_PickNewest()))
        no_url = split.no_url | "NoUrl" >> beam.Map(pass_through)
        return (newest, no_url) | "Merge" >> beam.Flatten()


class _RemoveSpans(beam.DoFn):
    def __init__(self, span_size: int, min_num_sentences: int | None):
        self.span_size = span_size
        self.min_num_sentences = min_num_sentences
        self.counters = Counters("c4_span_dedup")

    def process(self, element):
        _, joined = element
        positions = sorted(set(joined["remove"]))
        for doc in joined["doc"]:
            self.counters.inc("in")
            self.counters.inc("bytes_in", text_bytes(doc))
            if not positions:
                out = doc
            else:
                text, rule, counts = drop_spans(doc["text"], positions, self.span_size, self.min_num_sentences)
                for name, value in counts.items():
                    self.counters.inc(name, value)
                if text is None:
                    self.counters.inc(f"dropped:{rule}")
                    continue
                out = {**doc, "text": text}
            self.counters.inc("out")
            self.counters.inc("bytes_out", text_bytes(out))
            yield out


class DedupSpans(beam.PTransform):
    """C4's dedup: each repeated ``span_size``-sentence span survives only at its first occurrence."""

    def __init__(self, span_size: int = 3, min_num_sentences: int | None = 3):
        super().__init__()
        self.span_size = span_size
        self.min_num_sentences = min_num_sentences

    def expand(self, docs):
        span_size = self.span_size
        counters = Counters("c4_span_dedup")

        def occurrences(doc):
            for digest, position in span_hashes(doc["text"], span_size):
                yield digest, (doc["id"], position)

        def losers(element):
            _, found = element
            dropped = losing_occurrences(found)
            if dropped:
                counters.inc("duplicated_spans")
            for doc_id, position in dropped:
                yield doc_id, position

        removals = (docs | "Spans" >> beam.FlatMap(occurrences)
                    | "GroupBySpan" >> beam.GroupByKey()
                    | "Losers" >> beam.FlatMap(losers))
        keyed = docs | "KeyById" >> beam.Map(lambda d: (d["id"], d))
        return ({"doc": keyed, "remove": removals} | "JoinRemovals" >> beam.CoGroupByKey()
                | "RemoveSpans" >> beam.ParDo(_RemoveSpans(span_size, self.min_num_sentences)))


class FilterDocuments(beam.PTransform):
    """Apply the enabled filters of ``config`` (see the module doc for the order)."""

    def __init__(self, config: FiltersConfig):
        super().__init__()
        self.config = config

    def expand(self, docs):
        config = self.config
        if not config.enabled:
            return docs
        length = steps_before_url_dedup(config)
        if length:
            docs = docs | "Length" >> ApplySteps(length)
        if config.url_dedup.enabled:
            docs = docs | "UrlDedup" >> DedupUrls(config.url_dedup.normalize)
        before = steps_before_dedup(config)
        if before:
            docs = docs | "Clean" >> ApplySteps(before)
        if config.c4_span_dedup.enabled:
            docs = docs | "SpanDedup" >> DedupSpans(config.c4_span_dedup.span_sentences,
                                                    config.c4_span_dedup.min_num_sentences)
        after = steps_after_dedup(config)
        if after:
            docs = docs | "LanguageAndWords" >> ApplySteps(after)
        if config.decontaminate.enabled:
            docs = docs | "Decontaminate" >> Decontaminate(config.decontaminate)
        return docs
