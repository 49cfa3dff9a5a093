"""The Gopher quality and repetition rules (Rae et al. 2021, appendix A), as datatrove implements them.

Thresholds and rule names follow datatrove's ``GopherQualityFilter`` and
``GopherRepetitionFilter`` (the set FineWeb and RefinedWeb-style pipelines run).
Setting a threshold to ``None`` switches that rule off.

Word splitting: datatrove uses a language-specific word tokenizer (NLTK for
English), which needs downloads; here a regex tokenizer does the same job offline
(runs of word characters, and runs of other non-space characters as their own
tokens, so "end." is two words, "end" and ".", as with NLTK).
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any, Sequence

from filters.base import DocumentStep, StepResult

STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
TOP_NGRAMS = ((2, 0.20), (3, 0.18), (4, 0.16))
DUP_NGRAMS = ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))
_WORDS = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]+")
_PARAGRAPHS = re.compile(r"\n{2,}")
_LINES = re.compile(r"\n+")


def split_words(text: str) -> list[str]:
    return _WORDS.findall(text)


def is_symbol_word(word: str) -> bool:
    """True when every character is punctuation or a symbol (datatrove: in PUNCTUATION_SET)."""
    return all(unicodedata.category(ch)[0] in "PS" for ch in word)


class GopherQualityFilter(DocumentStep):
    """Drop pages that do not look like prose. Rules (datatrove names, defaults):

    ``gopher_short_doc`` / ``gopher_long_doc``: non-symbol words outside [50, 100000];
    ``gopher_below_avg_threshold`` / ``gopher_above_avg_threshold``: mean non-symbol word
    length outside [3, 10]; ``gopher_too_many_hashes`` / ``gopher_too_many_ellipsis``: ``#``
    or ellipses per word > 0.1; ``gopher_too_many_bullets``: > 90% of lines start with a
    bullet; ``gopher_too_many_end_ellipsis``: > 30% of lines end with an ellipsis;
    ``gopher_below_alpha_threshold``: < 80% of words contain a letter;
    ``gopher_enough_stop_words``: fewer than 2 distinct stop words (case-sensitive).
    """

    name = "gopher_quality"

    def __init__(self, min_doc_words: int | None = 50, max_doc_words: int | None = 100_000,
                 min_avg_word_length: float | None = 3, max_avg_word_length: float | None = 10,
                 max_symbol_word_ratio: float | None = 0.1, max_bullet_lines_ratio: float | None = 0.9,
                 max_ellipsis_lines_ratio: float | None = 0.3, max_non_alpha_words_ratio: float | None = 0.8,
                 min_stop_words: int | None = 2, stop_words: Sequence[str] = STOP_WORDS):
        self.min_doc_words = min_doc_words
        self.max_doc_words = max_doc_words
        self.min_avg_word_length = min_avg_word_length
        self.max_avg_word_length = max_avg_word_length
        self.max_symbol_word_ratio = max_symbol_word_ratio
        self.max_bullet_lines_ratio = max_bullet_lines_ratio
        self.max_ellipsis_lines_ratio = max_ellipsis_lines_ratio
        self.max_non_alpha_words_ratio = max_non_alpha_words_ratio
        self.min_stop_words = min_stop_words
        self.stop_words = frozenset(stop_words)

    def check(self, text: str) -> str | None:
        """The name of the first rule the text fails, or None."""
        words = split_words(text)
        n_words = len(words)
        content = [w for w in words if not is_symbol_word(w)]
        if self.min_doc_words and len(content) < self.min_doc_words:
            return "gopher_short_doc"
        if not n_words or not content:
            return "gopher_short_doc"  # only reachable with min_doc_words off: nothing to measure
        if self.max_doc_words and len(content) > self.max_doc_words:
            return "gopher_long_doc"
        mean_length = sum(len(w) for w in content) / len(content)
        if self.min_avg_word_length and mean_length < self.min_avg_word_length:
            return "gopher_below_avg_threshold"
        if self.max_avg_word_length and mean_length > self.max_avg_word_length:
            return "gopher_above_avg_threshold"
        if self.max_symbol_word_ratio and text.count("#") / n_words > self.max_symbol_word_ratio:
            return "gopher_too_many_hashes"
        if self.max_symbol_word_ratio and (text.count("...") + text.count("\u2026")) / n_words > self.max_symbol_word_ratio:
            return "gopher_too_many_ellipsis"
        lines = text.splitlines() or [text]
        bullets = sum(line.lstrip().startswith(("\u2022", "-")) for line in lines)
        if self.max_bullet_lines_ratio and bullets / len(lines) > self.max_bullet_lines_ratio:
            return "gopher_too_many_bullets"
        ellipsis_lines = sum(line.rstrip().endswith(("...", "\u2026")) for line in lines)
        if self.max_ellipsis_lines_ratio and ellipsis_lines / len(lines) > self.max_ellipsis_lines_ratio:
            return "gopher_too_many_end_ellipsis"
        alpha_words = sum(any(c.isalpha() for c in w) for w in words)
        if self.max_non_alpha_words_ratio and alpha_words / n_words < self.max_non_alpha_words_ratio:
            return "gopher_below_alpha_threshold"
        if self.min_stop_words and len(self.stop_words.intersection(words)) < self.min_stop_words:
            return "gopher_enough_stop_words"
        return None

    def process(self, doc: dict[str, Any]) -> StepResult:
        rule = self.check(doc["text"])
        return StepResult.drop(rule) if rule else StepResult.keep(doc)


def find_duplicates(items: Sequence[str]) -> tuple[int, int]:
    """(number of repeated items, characters in the repeats), first occurrences not counted."""
    seen: set[str] = set()
    count = chars = 0
    for item in items:
        if item in seen:
            count += 1
            chars += len(item)
        else:
            seen.add(item)
    return count, chars


def top_ngram_chars(words: Sequence[str], n: int) -> int:
    """Characters covered by the most frequent n-gram: len(ngram) * count (datatrove's measure)."""
    grams = Counter(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))
    if not grams:
        return 0
    gram, count = grams.most_common(1)[0]
    return len(gram) * count


def duplicate_ngram_chars(words: Sequence[str], n: int) -> int:
    """Characters in repeated n-grams, each repeat counted once and not overlapping (datatrove)."""
    seen: set[str] = set()
    repeated = index = 0
    while index < len(words) - n + 1:
        gram = "".join(words[index:index + n])
        if gram in seen:
            repeated += len(gram)
            index += n
        else:
            seen.add(gram)
            index += 1
    return repeated


class GopherRepetitionFilter(DocumentStep):
    """Drop repetitive pages. Rules: ``dup_para_frac`` (0.3), ``dup_para_char_frac`` (0.2),
    ``dup_line_frac`` (0.3), ``dup_line_char_frac`` (0.2), ``top_{n}_gram`` for n=2,3,4
    (0.20, 0.18, 0.16 of characters), ``duplicated_{n}_n_grams`` for n=5..10 (0.15 .. 0.10).
    """

    name = "gopher_repetition"

    def __init__(self, dup_line_frac: float | None = 0.3, dup_para_frac: float | None = 0.3,
                 dup_line_char_frac: float | None = 0.2, dup_para_char_frac: float | None = 0.2,
                 top_n_grams: Sequence[tuple[int, float]] = TOP_NGRAMS,
                 dup_n_grams: Sequence[tuple[int, float]] = DUP_NGRAMS):
        self.dup_line_frac = dup_line_frac
        self.dup_para_frac = dup_para_frac
        self.dup_line_char_frac = dup_line_char_frac
        self.dup_para_char_frac = dup_para_char_frac
        self.top_n_grams = [tuple(x) for x in top_n_grams]
        self.dup_n_grams = [tuple(x) for x in dup_n_grams]

    def check(self, text: str) -> str | None:
        if not text:
            return "empty"
        paragraphs = _PARAGRAPHS.split(text.strip())
        para_dups, para_chars = find_duplicates(paragraphs)
        if self.dup_para_frac and para_dups / len(paragraphs) > self.dup_para_frac:
            return "dup_para_frac"
        if self.dup_para_char_frac and para_chars / len(text) > self.dup_para_char_frac:
            return "dup_para_char_frac"
        lines = _LINES.split(text)
        line_dups, line_chars = find_duplicates(lines)
        if self.dup_line_frac and line_dups / len(lines) > self.dup_line_frac:
            return "dup_line_frac"
        if self.dup_line_char_frac and line_chars / len(text) > self.dup_line_char_frac:
            return "dup_line_char_frac"
        words = split_words(text)
        for n, fraction in self.top_n_grams:
            if top_ngram_chars(words, n) / len(text) > fraction:
                return f"top_{n}_gram"
        for n, fraction in self.dup_n_grams:
            if duplicate_ngram_chars(words, n) / len(text) > fraction:
                return f"duplicated_{n}_n_grams"
        return None

    def process(self, doc: dict[str, Any]) -> StepResult:
        rule = self.check(doc["text"])
        return StepResult.drop(rule) if rule else StepResult.keep(doc)
