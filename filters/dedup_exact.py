"""Exact document dedup: the key of a document's normalised text and the best copy per key (no Beam).

Two documents are exact duplicates when their texts are equal after Unicode NFC, with every
run of whitespace collapsed to one space and the ends stripped (and, optionally, lower-cased).
The key is the 128-bit xxh3 hash of that text (a collision between two different texts has
probability ~n^2/2^129). Of each group the copy with the best keep rank survives, the rule of
near-dedup (:func:`filters.dedup_clusters.keep_rank`: highest quality, then lowest id).

:class:`BestCopy` is what a combiner keeps per key: the number of copies and the best rank,
never the copies themselves.
"""
from __future__ import annotations

import unicodedata
from typing import NamedTuple

import xxhash

from filters.dedup_clusters import Node, keep_rank


def normalize_text(text: str, lowercase: bool = False) -> str:
    """NFC, whitespace runs -> one space, stripped; lower-cased if asked."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return text.lower() if lowercase else text


def text_key(doc: dict, lowercase: bool = False) -> bytes:
    """The exact-dedup key of a document; a text with no visible characters gets a key of its own
    (its id), so empty documents are left to the later steps rather than all collapsed into one."""
    text = normalize_text(doc.get("text") or "", lowercase)
    if not text:
        return b"id:" + str(doc["id"]).encode("utf-8")
    return xxhash.xxh3_128_digest(text.encode("utf-8"))


class BestCopy(NamedTuple):
    copies: int
    rank: tuple  # keep rank of the best copy so far; its id is rank[-1]

    @property
    def keeper(self) -> str:
        return self.rank[-1]


def copy_of(doc: dict, rule: str = "highest_quality") -> BestCopy:
    return BestCopy(1, keep_rank(Node(doc["id"], doc.get("quality_score")), rule))


def better(a: BestCopy | None, b: BestCopy) -> BestCopy:
    """Two partial results for one key -> one: copies added, the better rank kept."""
    if a is None:
        return b
    return BestCopy(a.copies + b.copies, min(a.rank, b.rank))
