"""Sentences and three-sentence spans: the pure logic behind C4's span dedup.

The original C4 code counts sentences with NLTK's punkt model, which needs a
download at run time; this module uses a small rule-based splitter with the same
main behaviour (split after ``.``, ``!``, ``?`` plus closing quotes/brackets and
whitespace; not after common abbreviations or single-letter initials; CJK full
stops split without a following space), so it works offline and identically on
every worker.

A document's sentences are numbered across lines; a span is ``span_size``
consecutive sentences. ``span_hashes`` gives ``(hash, position)`` for every span,
``remove_sentences`` rebuilds the text without some sentences, keeping the line
structure. The Beam side (``pipelines.filtering``) groups hashes over the whole
data set and decides which occurrences go.
"""
from __future__ import annotations

import hashlib
import re
from typing import Iterable

# Lower-cased tokens (without their final period) after which a period does not end a sentence.
ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt vs etc e.g i.e cf al fig figs no nos vol vols p pp ed eds "
    "inc ltd co corp dept est approx jan feb mar apr jun jul aug sep sept oct nov dec "
    "u.s u.k u.n a.m p.m ph.d gen col lt sgt capt rev hon gov sen rep".split()
)
# A candidate boundary: terminal marks, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"""([.!?]+|\u2026)(["'\u201d\u2019)\]]*)(\s+)""")
# CJK terminators end a sentence with or without a following space.
_CJK_BOUNDARY = re.compile(r"[\u3002\uff01\uff1f]+[\u300d\u300f\uff09]*")
_WORD_BEFORE = re.compile(r"(\S+)$")


def _is_abbreviation(text_before: str) -> bool:
    match = _WORD_BEFORE.search(text_before)
    if not match:
        return False
    token = match.group(1).lstrip("(\"'\u201c\u2018[").lower()
    # Single letters ("J. Smith") are initials; known abbreviations never end a sentence.
    return (len(token) == 1 and token.isalpha()) or token in ABBREVIATIONS


def split_line(line: str) -> list[str]:
    """The sentences of one line (no sentence spans two lines), stripped, none empty."""
    line = line.strip()
    if not line:
        return []
    cuts: list[int] = []
    for match in _BOUNDARY.finditer(line):
        end_of_sentence = match.end(2)
        if match.end() >= len(line):
            break  # trailing whitespace after the last sentence: not a cut
        marks = match.group(1)
        if marks == "." and _is_abbreviation(line[: match.start(1)]):
            continue
        if marks in ("...", "\u2026") and not line[match.end()].isupper():
            continue  # a mid-sentence ellipsis ("and so... we went") does not end it
        cuts.append(end_of_sentence)
    for match in _CJK_BOUNDARY.finditer(line):
        if match.end() < len(line):
            cuts.append(match.end())
    bounds: list[list[int]] = []
    start = 0
    for cut in sorted(set(cuts)) + [len(line)]:
        piece = line[start:cut]
        if piece.strip():
            if bounds and not any(c.isalnum() for c in piece):
                bounds[-1][1] = cut  # a stray closing quote or bracket belongs to the sentence before
            else:
                bounds.append([start, cut])
        start = cut
    return [line[a:b].strip() for a, b in bounds]


def split_sentences(text: str) -> list[list[str]]:
    """Sentences per line: ``[[s0, s1], [s2], ...]`` (blank lines give ``[]``)."""
    return [split_line(line) for line in text.split("\n")]


def count_sentences(text: str) -> int:
    return sum(len(s) for s in split_sentences(text))


def normalize_span(sentences: Iterable[str]) -> str:
    """Case and whitespace do not make two spans different (C4 lower-cases before hashing)."""
    return " ".join(" ".join(sentences).split()).lower()


def hash_span(sentences: Iterable[str]) -> str:
    """A 16-hex-char hash of a normalised span (64 bits: collisions are negligible at web scale)."""
    return hashlib.blake2b(normalize_span(sentences).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def span_hashes(text: str, span_size: int = 3) -> list[tuple[str, int]]:
    """``(hash, first_sentence_index)`` for every window of ``span_size`` consecutive sentences.

    A page with fewer sentences than ``span_size`` has no spans (nothing to dedup).
    """
    flat = [s for line in split_sentences(text) for s in line]
    return [(hash_span(flat[i:i + span_size]), i) for i in range(len(flat) - span_size + 1)]


def sentences_of_spans(positions: Iterable[int], span_size: int = 3) -> set[int]:
    """The sentence indices covered by the spans starting at ``positions``."""
    return {p + k for p in positions for k in range(span_size)}


def remove_sentences(text: str, drop: set[int]) -> str:
    """``text`` without the sentences whose global index is in ``drop``.

    Sentences left on a line are joined by one space; lines left empty disappear.
    """
    out_lines, index = [], 0
    for line, sentences in zip(text.split("\n"), split_sentences(text)):
        kept = [s for k, s in enumerate(sentences) if index + k not in drop]
        index += len(sentences)
        if len(kept) == len(sentences) and kept:
            out_lines.append(line.strip())  # untouched line: keep it byte for byte
        elif kept:
            out_lines.append(" ".join(kept))
    return "\n".join(out_lines)


def losing_occurrences(occurrences: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """Of all ``(doc_id, position)`` occurrences of one span, every one but the first.

    "First" is the lowest ``(doc_id, position)``: an order that does not depend on
    workers, bundles or input order. Repeated identical occurrences (the same
    document read twice) count once.
    """
    unique = sorted(set(occurrences))
    return unique[1:]


def drop_spans(text: str, positions: Iterable[int], span_size: int = 3,
               min_num_sentences: int | None = 3) -> tuple[str | None, str | None, dict[str, int]]:
    """Remove the spans starting at ``positions``, then re-check the page.

    Returns ``(new_text, None, counts)`` or ``(None, rule, counts)`` with rule
    ``empty`` or ``too_few_sentences``. Removing sentences cannot add a bad word,
    ``{`` or "lorem ipsum", nor lengthen the page, so the sentence minimum is the only
    C4 page rule whose verdict can change.
    """
    positions = sorted(set(positions))
    drop = sentences_of_spans(positions, span_size)
    new_text = remove_sentences(text, drop)
    counts = {"spans_removed": len(positions), "sentences_removed": len(drop), "pages_modified": 1}
    if not new_text.strip():
        return None, "empty", counts
    if min_num_sentences and count_sentences(new_text) < min_num_sentences:
        return None, "too_few_sentences", counts
    return new_text, None, counts
