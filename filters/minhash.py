"""MinHash signatures of word n-gram shingles, vectorised with numpy, equal to datasketch's.

A document becomes the set of its word ``n``-grams ("shingles") over normalised
text; every shingle is hashed to 32 bits; each of ``num_perm`` permutations maps
the hashes and keeps the minimum. The construction is datasketch 2.x's default
``"affine32"`` scheme, bit for bit: the 32-bit input hash is pre-mixed with the
MurmurHash3 finalizer, then ``a_k * h + b_k mod 2**32`` (``a_k`` odd), with
``a, b`` drawn from ``numpy.random.RandomState(seed)`` exactly as
``datasketch.MinHash._init_permutations`` draws them. So for the same shingles,
``MinHasher(num_perm, seed, hashfunc).signatures(...)[i]`` equals
``datasketch.MinHash(num_perm, seed, hashfunc=HASHFUNCS[hashfunc]).hashvalues``
after ``update_batch(shingles)``, and can be wrapped as ``LeanMinHash`` /
inserted into ``MinHashLSH`` (see :meth:`MinHasher.to_datasketch`).

Hash functions (``hashfunc``):

* ``"sha1"`` (default) - datasketch's default ``sha1_hash32`` (first 4 bytes of
  SHA-1, little endian): drop-in with ``datasketch.MinHash(num_perm, seed)``.
* ``"xxh32"`` - ``xxhash.xxh32_intdigest(shingle)``; pass
  ``hashfunc=filters.minhash.xxh32_hash`` to datasketch to match it.
* ``"word_xxh32"`` - xxh32 per word, combined over the n-gram (:func:`word_xxh32_hash`):
  the fastest (no shingle strings are built); pass ``hashfunc=word_xxh32_hash``.

bench/dedup.py prints the speed of each.

Nothing here imports Beam.
"""
from __future__ import annotations

import itertools
import math
import re
import struct
import unicodedata
from hashlib import sha1
from typing import Callable, Iterable, Sequence

import numpy as np
import xxhash

_WORD = re.compile(r"\w+", re.UNICODE)
_DIGITS = re.compile(r"\d")
_MAX_HASH = np.uint32(0xFFFFFFFF)


def sha1_hash32(data: bytes) -> int:
    """datasketch's default 32-bit hash (``datasketch.hashfunc.sha1_hash32``)."""
    return struct.unpack("<I", sha1(data).digest()[:4])[0]


def xxh32_hash(data: bytes) -> int:
    """xxHash32 with seed 0 of the shingle's bytes; give it to datasketch as ``hashfunc``."""
    return xxhash.xxh32_intdigest(data)


_WORD_MULT = np.uint32(0x01000193)  # odd (FNV prime): the combination stays a bijection per word


def word_xxh32_hash(data: bytes) -> int:
    """xxHash32 of each word of the shingle, combined as ``h = h * 0x01000193 + xxh32(word)`` mod 2**32.

    Defined on the shingle's bytes like the others (so datasketch can be given it), but
    computable from per-word hashes: :class:`MinHasher` hashes each word once and forms
    every n-gram's hash with ``n`` vectorised multiply-adds, never building shingle strings.
    """
    h = 0
    for word in data.split(b" "):
        h = (h * 0x01000193 + xxhash.xxh32_intdigest(word)) & 0xFFFFFFFF
    return h


HASHFUNCS: dict[str, Callable[[bytes], int]] = {
    "sha1": sha1_hash32, "xxh32": xxh32_hash, "word_xxh32": word_xxh32_hash}


def normalize_text(text: str) -> list[str]:
    """Words of ``text`` after NFKC, lower-casing and digits -> ``0``; punctuation is dropped.

    Why: near-duplicates on the web differ in case, punctuation, dates and counters;
    shingling words of this normal form makes such copies collide.
    """
    if not text.isascii():  # NFKC is the identity on ASCII: skip the call for most web text
        text = unicodedata.normalize("NFKC", text)
    return _WORD.findall(_DIGITS.sub("0", text.lower()))


def shingles_of_words(words: list[str], n: int = 5) -> list[bytes]:
    """Distinct word ``n``-grams (UTF-8, words joined by one space), in first-seen order.

    Fewer than ``n`` (but at least one) words make one shingle; no words, none.
    """
    if not words:
        return []
    joined = " ".join(words).encode("utf-8")
    if len(words) <= n:
        return [joined]
    # Slice the encoded text at word boundaries instead of joining every window anew.
    ascii_only = len(joined) == len(words) - 1 + sum(map(len, words))
    lengths = map(len, words) if ascii_only else (len(w.encode("utf-8")) for w in words)
    starts = list(itertools.accumulate((x + 1 for x in lengths), initial=0))
    ends = [x - 1 for x in starts[n:]]
    return list(dict.fromkeys(map(joined.__getitem__, map(slice, starts, ends))))


def word_shingles(text: str, n: int = 5, normalize: bool = True) -> list[bytes]:
    """The shingles of ``text`` (normalised by :func:`normalize_text` unless ``normalize=False``)."""
    return shingles_of_words(normalize_text(text) if normalize else text.split(), n)


_EMPTY = np.zeros(0, dtype=np.uint32)


def _hash_sha1(words: list[str], n: int) -> np.ndarray:
    shingles = shingles_of_words(words, n)
    if not shingles:
        return _EMPTY
    # The first 4 bytes (little endian) of each 20-byte digest: every 5th uint32 of the joined digests.
    return np.frombuffer(b"".join([sha1(s).digest() for s in shingles]), dtype="<u4")[::5].astype(np.uint32)


def _hash_xxh32(words: list[str], n: int) -> np.ndarray:
    shingles = shingles_of_words(words, n)
    return np.fromiter(map(xxhash.xxh32_intdigest, shingles), dtype=np.uint32, count=len(shingles))


def _hash_word_xxh32(words: list[str], n: int) -> np.ndarray:
    if not words:
        return _EMPTY
    encoded = " ".join(words).encode("utf-8").split(b" ")  # one encode call, not one per word
    w = np.fromiter(map(xxhash.xxh32_intdigest, encoded), dtype=np.uint32, count=len(encoded))
    width = min(n, len(w))
    count = len(w) - width + 1
    h = w[:count].copy()
    for k in range(1, width):
        h *= _WORD_MULT
        h += w[k:k + count]
    return h


_BATCH_HASHERS = {"sha1": _hash_sha1, "xxh32": _hash_xxh32, "word_xxh32": _hash_word_xxh32}


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (datasketch ``_fmix(h, 32)``); wraps modulo 2**32."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def datasketch_permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(a, b)`` as ``datasketch.MinHash(num_perm, seed)`` draws them for the affine32 scheme."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted arrays of distinct shingle hashes."""
    if len(a) == 0 and len(b) == 0:
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


class MinHasher:
    """Shingle, hash and sign documents in batches.

    ``num_perm`` (128) permutations, ``seed`` (1, datasketch's default), word
    ``ngram`` (5) shingles on normalised text, ``hashfunc`` one of :data:`HASHFUNCS`.
    ``chunk_elems`` bounds the temporary ``shingles x num_perm`` matrix (256k uint32 = 1 MB:
    small enough to stay in cache, which matters more than fewer numpy calls).
    """

    def __init__(self, num_perm: int = 128, seed: int = 1, ngram: int = 5, hashfunc: str = "sha1",
                 normalize: bool = True, chunk_elems: int = 1 << 18):
        if hashfunc not in HASHFUNCS:
            raise ValueError(f"unknown hashfunc {hashfunc!r}; choose one of {sorted(HASHFUNCS)}")
        self.num_perm, self.seed, self.ngram = num_perm, seed, ngram
        self.hashfunc, self.normalize, self.chunk_elems = hashfunc, normalize, chunk_elems
        self._hash_words = _BATCH_HASHERS[hashfunc]
        self.a, self.b = datasketch_permutations(num_perm, seed)

    def shingle_hashes(self, text: str) -> np.ndarray:
        """Sorted distinct 32-bit hashes of the shingles of ``text`` (the set that is signed)."""
        words = normalize_text(text) if self.normalize else text.split()
        return np.unique(self._hash_words(words, self.ngram))

    def signatures(self, hash_sets: Sequence[np.ndarray]) -> np.ndarray:
        """``(len(hash_sets), num_perm)`` uint32 signatures; an empty set gives all ``2**32-1``.

        All sets of a batch are mixed and permuted in one broadcast and reduced per
        document with ``np.minimum.reduceat``, in chunks of at most ``chunk_elems``.
        """
        out = np.full((len(hash_sets), self.num_perm), _MAX_HASH, dtype=np.uint32)
        rows_per_chunk = max(1, self.chunk_elems // self.num_perm)
        start = 0
        while start < len(hash_sets):
            stop, size = start, 0
            while stop < len(hash_sets) and (stop == start or size + len(hash_sets[stop]) <= rows_per_chunk):
                size += len(hash_sets[stop])
                stop += 1
            self._sign_chunk(hash_sets, start, stop, out)
            start = stop
        return out

    def _sign_chunk(self, hash_sets: Sequence[np.ndarray], start: int, stop: int, out: np.ndarray) -> None:
        index = [i for i in range(start, stop) if len(hash_sets[i])]
        if not index:
            return
        flat = np.concatenate([hash_sets[i] for i in index]).astype(np.uint32, copy=False)
        permuted = np.multiply(_fmix32(flat)[:, None], self.a[None, :])
        permuted += self.b  # in place: the chunk stays cache-sized
        pos = 0
        for i in index:  # per-document slices: ~10x faster than np.minimum.reduceat on axis 0
            end = pos + len(hash_sets[i])
            permuted[pos:end].min(axis=0, out=out[i])
            pos = end

    def signature_of_texts(self, texts: Iterable[str]) -> np.ndarray:
        return self.signatures([self.shingle_hashes(t) for t in texts])

    def to_datasketch(self, signature: np.ndarray):
        """A ``datasketch.LeanMinHash`` holding ``signature`` (for ``MinHashLSH`` and friends)."""
        from datasketch import LeanMinHash, MinHash

        mh = MinHash(self.num_perm, self.seed, hashfunc=HASHFUNCS[self.hashfunc], hashvalues=signature,
                     permutations=(self.a, self.b), scheme="affine32")
        return LeanMinHash(mh)


# --- LSH banding ------------------------------------------------------------------------------

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """``(n, bands)`` int64 hashes of each band's ``rows`` signature values.

    Two documents share a bucket of band ``j`` iff their keys in column ``j`` are
    equal (a 64-bit hash: a false collision needs ~4e9 documents per band to be
    likely, and verification removes it anyway). Vectorised: one pass per row.
    """
    n, num_perm = signatures.shape
    if bands * rows > num_perm:
        raise ValueError(f"bands x rows = {bands * rows} exceeds num_perm = {num_perm}")
    cube = signatures[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = np.full((n, bands), _GOLDEN, dtype=np.uint64) + np.arange(bands, dtype=np.uint64)
        for j in range(rows):
            h = _fmix64(h ^ cube[:, :, j]) + _GOLDEN
    return h.view(np.int64)


def candidate_probability(s: float, bands: int, rows: int) -> float:
    """P(two documents with Jaccard ``s`` share at least one bucket) = 1 - (1 - s^r)^b (the S-curve)."""
    return 1.0 - (1.0 - s ** rows) ** bands


def optimal_bands(threshold: float, num_perm: int, fp_weight: float = 0.5,
                  fn_weight: float = 0.5) -> tuple[int, int]:
    """``(bands, rows)`` with ``bands*rows <= num_perm`` minimising the weighted areas under the
    S-curve below ``threshold`` (false positives) and above it (false negatives), as
    datasketch's ``MinHashLSH`` does; raise ``fn_weight`` when candidates are verified exactly.
    """
    def area(lo: float, hi: float, f: Callable[[float], float], steps: int = 200) -> float:
        width = (hi - lo) / steps
        return sum(f(lo + (i + 0.5) * width) for i in range(steps)) * width

    best, best_cost = (1, num_perm), math.inf
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = area(0.0, threshold, lambda s: candidate_probability(s, b, r))
            fn = area(threshold, 1.0, lambda s: 1.0 - candidate_probability(s, b, r))
            cost = fp_weight * fp + fn_weight * fn
            if cost < best_cost - 1e-12:
                best, best_cost = (b, r), cost
    return best
