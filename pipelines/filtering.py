"""``FilterDocuments``: the C4 (and optionally Gopher) filter stage as Beam transforms.

Order (the C4 order, Gopher where FineWeb puts it, before C4 cleaning):

0. ``c4_length``: pages over 190,000 characters go (TFDS: before URL dedup, so a
   too-long newest capture leaves the older one);
1. ``url_dedup``: one page per (normalised) URL, the latest crawl, ties by lowest id;
2. ``gopher_repetition``, ``gopher_quality`` (off unless enabled);
3. ``c4``: line rules, page rules, sentence minimum (``filters.c4.C4Filter``);
4. ``c4_dedup`` (``pipelines.c4_dedup.DedupC4``), mode ``lines`` (namespace
   ``c4_line_dedup``, the released C4: each line kept only in the page with the
   smallest md5(url), once) or ``spans`` (``c4_span_dedup``, the T5 paper: each
   three-sentence span kept only at its first occurrence, then ``c4_recheck``);
5. ``langid`` (records ``language``/``language_score``), then ``badwords``.

Step 1 groups through sorted spill files (``pipelines.spill``), so its memory does not
grow with the data; step 4 groups over the whole PCollection (GroupByKey / CombinePerKey).
Duplicates are found across input files and workers. Every namespace satisfies
``in == out + sum(dropped:*)``.
"""
from __future__ import annotations

import apache_beam as beam

from filters.c4 import normalize_url, select_newest
from filters.config import FiltersConfig, c4_dedup_unit, steps_after_dedup, steps_before_dedup, steps_before_url_dedup
from pipelines.c4_dedup import DedupC4
from pipelines.counters import CountingDoFn, counted
from pipelines.decontaminate import Decontaminate
from pipelines.spill import ExternalGroupByKey
from pipelines.steps import ApplySteps, text_bytes

# Documents without a URL are grouped by id under this prefix (no URL starts with it) and
# all pass: one grouped collection, no Flatten (the local runner would hold a flattened one).
NO_URL = "\x00no-url\x00"


class _PickNewest(CountingDoFn):
    def process(self, element):
        key, docs = element
        docs = list(docs)
        kept = docs if key.startswith(NO_URL) else [select_newest(docs)]
        counters = self.counters("url_dedup")
        counters.inc("in", len(docs))
        counters.inc("bytes_in", sum(text_bytes(d) for d in docs))
        counters.inc("out", len(kept))
        counters.inc("bytes_out", sum(text_bytes(d) for d in kept))
        if key.startswith(NO_URL):
            counters.inc("no_url", len(docs))
        elif len(docs) > 1:
            counters.inc("dropped:duplicate_url", len(docs) - 1)
        yield from kept


def url_key(doc: dict, normalize: bool) -> str:
    url = doc.get("url")
    if not url:
        return NO_URL + str(doc["id"])
    return normalize_url(url) if normalize else url


class DedupUrls(beam.PTransform):
    """Keep one document per URL (normalised as C4 does unless ``normalize=False``).

    Documents without a URL pass through (counted ``no_url``, and in ``in``/``out``).
    """

    def __init__(self, normalize: bool = True):
        super().__init__()
        self.normalize = normalize

    def expand(self, docs):
        normalize = self.normalize
        grouped = (docs | "KeyByUrl" >> beam.Map(lambda doc: (url_key(doc, normalize), doc))
                   | "GroupByUrl" >> ExternalGroupByKey())
        return counted(grouped, "PickNewest", _PickNewest())["main"]


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
        if config.c4_dedup.enabled:
            docs = docs | "C4Dedup" >> DedupC4(c4_dedup_unit(config.c4_dedup))
        after = steps_after_dedup(config)
        if after:
            docs = docs | "LanguageAndWords" >> ApplySteps(after)
        if config.decontaminate.enabled:
            docs = docs | "Decontaminate" >> Decontaminate(config.decontaminate)
        return docs


def run_filter(config: FiltersConfig, inputs: list[str], output_dir: str, beam_args: list[str] | None = None,
               *, echo: bool = True, label: str = "filter") -> dict[str, dict[str, int]]:
    """The filter stage as a job: document files -> ``documents/``, ``errors/``, ``stats.json``, ``_SUCCESS.json``."""
    from curation.config import config_hash
    from pipelines.document_job import run_document_job

    return run_document_job(inputs, output_dir, lambda docs: docs | "Filters" >> FilterDocuments(config), beam_args,
                            label=label, echo=echo, stage="filter", extra={"config_hash": config_hash(config)})
