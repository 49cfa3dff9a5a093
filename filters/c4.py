"""The C4 cleaning rules (Raffel et al. 2020, §2.2), as TFDS ``c4_utils.clean_page`` applies them.

Each rule is a small named unit; :class:`C4Filter` runs them in the original
order over each stripped line, because the order matters: a line is dropped by
the first rule that fires, and the page rules ("lorem ipsum", ``{``) only look at
lines that survived the rules before them (a ``{`` on a line without an end mark
does not drop the page; a ``{`` on a line that also mentions a privacy policy
does, since ``{`` is checked first). The original order:

1. ``too_long_word`` (line): a word longer than ``max_word_length`` (1000) characters;
2. citation markers ``[1]``, ``[]``, ``[edit]``, ``[citation needed]`` are deleted;
3. ``no_end_mark`` (line): not ending in ``. ? ! "``, or ending in ``...``;
4. ``too_few_words`` (line): fewer than ``min_words_per_line`` (5) whitespace words;
5. ``lorem_ipsum`` (page): "lorem ipsum" anywhere (case-insensitive);
6. ``javascript`` (line): the word "javascript" (case-insensitive);
7. ``curly_bracket`` (page): a ``{``;
8. ``policy`` (line): "terms of use", "privacy policy", "cookie policy", "uses cookies",
   "use of cookies", "use cookies".

Then the page is dropped as ``too_few_sentences`` with fewer than
``min_num_sentences`` (3) sentences over the kept lines (NLTK Punkt on each kept
line, summed: :mod:`filters.sentences`). Kept lines are joined with ``\\n``.

The length limit (C4's ``is_valid_length``, 190,000 characters) is its own step,
:class:`PageLengthFilter`: TFDS applies it to the raw page, before URL dedup
picks the newest capture, so a too-long newest capture leaves the older one.

Quirk kept for fidelity: the citation marker is removed *after* stripping, so
``"A sentence. [1]"`` becomes ``"A sentence. "`` and fails the end-mark test,
exactly as in C4.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

from filters.base import DocumentStep, StepResult
from filters.sentences import count_sentences_per_line

END_MARKS = (".", "?", "!", '"')
ELLIPSIS = "..."
POLICY_PHRASES = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")
CITATION_PATTERN = r"\[\d*\]|\[edit\]|\[citation needed\]"
MIN_WORDS_PER_LINE = 5
MIN_NUM_SENTENCES = 3
MAX_WORD_LENGTH = 1000
MAX_PAGE_CHARS = 190_000

LINE, PAGE = "line", "page"  # what a rule removes when it fires


class Rule:
    """One C4 test on a stripped line: ``fires(line, lower)``; ``scope`` says line or page."""

    name = "rule"
    scope = LINE

    def fires(self, line: str, lower: str) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError


class TooLongWord(Rule):
    name = "too_long_word"

    def __init__(self, max_word_length: int = MAX_WORD_LENGTH):
        self.max_word_length = max_word_length

    def fires(self, line: str, lower: str) -> bool:
        return any(len(word) > self.max_word_length for word in line.split())


class NoEndMark(Rule):
    name = "no_end_mark"

    def __init__(self, end_marks: Sequence[str] = END_MARKS, ellipsis: str | None = ELLIPSIS):
        self.end_marks = tuple(end_marks)
        self.ellipsis = ellipsis

    def fires(self, line: str, lower: str) -> bool:
        return not line.endswith(self.end_marks) or bool(self.ellipsis and line.endswith(self.ellipsis))


class TooFewWords(Rule):
    name = "too_few_words"

    def __init__(self, min_words: int = MIN_WORDS_PER_LINE):
        self.min_words = min_words

    def fires(self, line: str, lower: str) -> bool:
        return len(line.split()) < self.min_words


class Contains(Rule):
    """Fires when the lower-cased line contains any of ``phrases`` (``javascript``, ``policy``, ...)."""

    def __init__(self, name: str, phrases: Sequence[str], scope: str = LINE, case_sensitive: bool = False):
        self.name = name
        self.scope = scope
        self.case_sensitive = case_sensitive
        self.phrases = tuple(phrases if case_sensitive else (p.lower() for p in phrases))

    def fires(self, line: str, lower: str) -> bool:
        haystack = line if self.case_sensitive else lower
        return any(p in haystack for p in self.phrases)


def lorem_ipsum() -> Contains:
    return Contains("lorem_ipsum", ["lorem ipsum"], scope=PAGE)


def javascript() -> Contains:
    return Contains("javascript", ["javascript"])


def curly_bracket() -> Contains:
    return Contains("curly_bracket", ["{"], scope=PAGE, case_sensitive=True)


def policy(phrases: Sequence[str] = POLICY_PHRASES) -> Contains:
    return Contains("policy", phrases)


class C4Filter(DocumentStep):
    """The C4 ``clean_page`` pass: line rules, page rules, then the sentence minimum.

    ``before_citations`` run on the stripped line before citation markers are
    deleted (C4: only the too-long-word rule); ``rules`` run after, in order.
    Pass ``citation_pattern=None`` to keep markers, ``min_num_sentences=None`` to
    switch the sentence minimum off. A page left with no text is always dropped (``empty``).
    """

    name = "c4"

    def __init__(self, before_citations: Sequence[Rule] | None = None, rules: Sequence[Rule] | None = None,
                 citation_pattern: str | None = CITATION_PATTERN, min_num_sentences: int | None = MIN_NUM_SENTENCES):
        self.before_citations = list(before_citations) if before_citations is not None else [TooLongWord()]
        self.rules = list(rules) if rules is not None else [
            NoEndMark(), TooFewWords(), lorem_ipsum(), javascript(), curly_bracket(), policy()]
        self.citation_pattern = citation_pattern
        self.min_num_sentences = min_num_sentences
        self._citations = re.compile(citation_pattern) if citation_pattern else None

    def clean(self, text: str) -> tuple[str | None, str | None, dict[str, int]]:
        """``(cleaned_text, None, counts)`` or ``(None, dropping_rule, counts)``."""
        counts: dict[str, int] = {}

        def bump(key: str, value: int = 1) -> None:
            counts[key] = counts.get(key, 0) + value

        kept: list[str] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line:
                continue  # blank lines are layout, not content: not counted as removed
            rule = next((r for r in self.before_citations if r.fires(line, line.lower())), None)
            if rule is None and self._citations is not None:
                line, n = self._citations.subn("", line)
                if n:
                    bump("citations_removed", n)
            lower = line.lower()
            if rule is None:
                rule = next((r for r in self.rules if r.fires(line, lower)), None)
            if rule is None:
                kept.append(line)
            elif rule.scope == PAGE:
                return None, rule.name, counts
            else:
                bump(f"lines_removed:{rule.name}")
        bump("lines_kept", len(kept))
        cleaned = "\n".join(kept).strip()
        if self.min_num_sentences and count_sentences_per_line(cleaned) < self.min_num_sentences:
            return None, "too_few_sentences", counts
        if not cleaned:
            return None, "empty", counts
        return cleaned, None, counts

    def process(self, doc: dict[str, Any]) -> StepResult:
        cleaned, rule, counts = self.clean(doc["text"])
        if cleaned is None:
            return StepResult.drop(rule, counts)
        return StepResult.keep({**doc, "text": cleaned}, counts)


class PageLengthFilter(DocumentStep):
    """C4's ``is_valid_length``: drop pages of more than ``max_chars`` characters (``too_long``).

    Runs on the page as extracted, before URL dedup (the TFDS order).
    """

    name = "c4_length"

    def __init__(self, max_chars: int = MAX_PAGE_CHARS):
        self.max_chars = max_chars

    def process(self, doc: dict[str, Any]) -> StepResult:
        if len(doc["text"]) > self.max_chars:
            return StepResult.drop("too_long")
        return StepResult.keep(doc)


# -- URL dedup (C4 keeps the newest page per normalised URL) ------------------------------------

_SCHEME_WWW = re.compile(r"https?:\/\/(www\.)?")
_TRACKING_QUERY = re.compile(r"\?(utm_|ref|feed).*")


def normalize_url(url: str) -> str:
    """C4's ``normalize_url``: drop the scheme and ``www.``, a utm_/ref/feed query, trailing slashes."""
    url = _SCHEME_WWW.sub("", url)
    url = _TRACKING_QUERY.sub("", url)
    return url.rstrip("/")


def select_newest(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The page of the latest ``crawl_date`` (ISO-8601 strings compare in time order); ties: lowest id.

    Pages without a date lose to any dated page.
    """
    return min(docs, key=lambda d: (_negated(d.get("crawl_date") or ""), str(d["id"])))


def _negated(text: str) -> tuple[int, ...]:
    # Sorting by negated code points puts the largest string first; a prefix sorts after its extensions.
    return tuple(-ord(c) for c in text) + (1,)
