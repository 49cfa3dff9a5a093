"""Line dedup: the ``lines`` mode of C4 dedup, as the released C4 was built.

TFDS ``c4_utils.remove_duplicate_text`` (C4 ``en`` 2.3.0 and later, the released
C4, DCLM's ``c4.yaml``):

- a line's key is the md5 of the line, stripped and lower-cased;
- every page that has the line votes for it with the md5 of its URL; the line is
  kept only in the page whose URL has the **smallest** md5 (TFDS:
  ``Top.PerKey(1, key=md5(url), reverse=True)``), removed from every other page
  (``global_duplicate``);
- within the winning page only the first occurrence is kept (``local_duplicate``);
- a page left empty, or with fewer than ``min_num_sentences`` sentences (Punkt on
  the joined text), is dropped.

Departures, none of which changes a C4-cleaned page: ties on md5(url) (pages
sharing a URL, possible only without URL dedup) go to the lowest document id;
pages without a URL rank as the md5 of ``""``; blank lines are layout, not
content: they are never deduplicated.

:class:`LineDedup` is the unit the Beam transform (``pipelines.c4_dedup``) calls:
``votes(doc)`` and ``apply(doc, won)``.
"""
from __future__ import annotations

import hashlib
from typing import Any, Iterator

from filters.sentences import count_sentences


def md5(text: str) -> bytes:
    """TFDS's ``_hash_text`` as bytes (the hex digest orders the same way)."""
    return hashlib.md5(text.encode("utf-8", "surrogatepass")).digest()


def line_key(line: str) -> bytes:
    return md5(line.strip().lower())


def remove_duplicate_lines(text: str, won: set[bytes],
                           min_num_sentences: int | None = 3) -> tuple[str | None, str | None, dict[str, int]]:
    """Keep the lines whose key ``text``'s page won, each once; then the page checks.

    Returns ``(new_text, None, counts)`` or ``(None, rule, counts)`` with rule
    ``empty`` or ``too_few_sentences`` (checked on every page, as TFDS does).
    """
    counts: dict[str, int] = {}
    kept, seen = [], set()
    for line in text.split("\n"):
        if not line.strip():
            kept.append(line)
            continue
        key = line_key(line)
        if key not in won:
            counts["lines_removed:global_duplicate"] = counts.get("lines_removed:global_duplicate", 0) + 1
        elif key in seen:
            counts["lines_removed:local_duplicate"] = counts.get("lines_removed:local_duplicate", 0) + 1
        else:
            kept.append(line)
            seen.add(key)
    if counts:
        counts["pages_modified"] = 1
    new_text = "\n".join(kept)
    if not new_text.strip():
        return None, "empty", counts
    if min_num_sentences and count_sentences(new_text) < min_num_sentences:
        return None, "too_few_sentences", counts
    return new_text, None, counts


class LineDedup:
    """The ``lines`` mode as a unit: each page votes ``(line key, (md5(url), 0))`` per distinct line."""

    name = "c4_line_dedup"
    repeated = "duplicated_lines"  # counter: keys voted for by more than one page

    def __init__(self, min_num_sentences: int | None = 3):
        self.min_num_sentences = min_num_sentences

    def votes(self, doc: dict[str, Any]) -> Iterator[tuple[bytes, bytes, int]]:
        """``(key, priority, position)``: the smallest ``(priority, doc id, position)`` wins the key."""
        priority = md5(doc.get("url") or "")
        for key in dict.fromkeys(line_key(line) for line in doc["text"].split("\n") if line.strip()):
            yield key, priority, 0

    def apply(self, doc: dict[str, Any], won: set[tuple[bytes, int]]):
        return remove_duplicate_lines(doc["text"], {key for key, _ in won}, self.min_num_sentences)
