"""Three-sentence spans: the pure logic behind the ``spans`` mode of C4 dedup (C4 1.0.x, the T5 paper).

Sentences come from :mod:`filters.sentences` (NLTK Punkt, English, as C4), the
same splitter the ``lines`` mode and the C4 sentence minimum use. A document's
sentences are numbered across lines (Punkt on each line: no sentence spans two
lines); a span is ``span_size`` consecutive sentences. ``span_hashes`` gives
``(hash, position)`` for every span, ``remove_sentences`` rebuilds the text
without some sentences, keeping the line structure.

Every span occurring more than once in the whole data set is kept only at its
first occurrence, the lowest ``(doc id, sentence position)``: an order that does
not depend on workers, bundles or input order. :class:`SpanDedup` is the unit the
Beam transform (``pipelines.c4_dedup``) calls: ``votes(doc)`` and ``apply(doc, won)``.
"""
from __future__ import annotations

import hashlib
from typing import Any, Iterable, Iterator

from filters.sentences import count_sentences_per_line, split_lines


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
    flat = [s for line in split_lines(text) for s in line]
    return [(hash_span(flat[i:i + span_size]), i) for i in range(len(flat) - span_size + 1)]


def sentences_of_spans(positions: Iterable[int], span_size: int = 3) -> set[int]:
    """The sentence indices covered by the spans starting at ``positions``."""
    return {p + k for p in positions for k in range(span_size)}


def remove_sentences(text: str, drop: set[int]) -> str:
    """``text`` without the sentences whose global index is in ``drop``.

    Sentences left on a line are joined by one space; lines left empty disappear.
    """
    out_lines, index = [], 0
    for line, sentences in zip(text.split("\n"), split_lines(text)):
        kept = [s for k, s in enumerate(sentences) if index + k not in drop]
        index += len(sentences)
        if len(kept) == len(sentences) and kept:
            out_lines.append(line.strip())  # untouched line: keep it byte for byte
        elif kept:
            out_lines.append(" ".join(kept))
    return "\n".join(out_lines)


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
    if min_num_sentences and count_sentences_per_line(new_text) < min_num_sentences:
        return None, "too_few_sentences", counts
    return new_text, None, counts


class SpanDedup:
    """The ``spans`` mode as a unit: each page votes ``(span hash, ("", sentence position))`` per span."""

    name = "c4_span_dedup"
    repeated = "duplicated_spans"  # counter: spans occurring more than once

    def __init__(self, span_size: int = 3, min_num_sentences: int | None = 3):
        self.span_size = span_size
        self.min_num_sentences = min_num_sentences

    def votes(self, doc: dict[str, Any]) -> Iterator[tuple[str, bytes, int]]:
        """``(key, priority, position)``: the smallest ``(priority, doc id, position)`` wins the key."""
        for digest, position in span_hashes(doc["text"], self.span_size):
            yield digest, b"", position

    def apply(self, doc: dict[str, Any], won: set[tuple[str, int]]):
        losing = [p for digest, p in span_hashes(doc["text"], self.span_size) if (digest, p) not in won]
        if not losing:
            return doc["text"], None, {}
        return drop_spans(doc["text"], losing, self.span_size, self.min_num_sentences)
