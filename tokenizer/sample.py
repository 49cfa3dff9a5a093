"""A reproducible, memory-bounded sample of document texts for tokenizer training.

The sample is a *bottom-k by hash*: of all documents, keep those with the smallest
``xxh3_64(text, seed)`` whose count and total UTF-8 size fit ``max_docs`` / ``max_bytes``.
That choice depends only on the texts and the seed, not on file order, file splitting or
how many documents there are, so the same corpus and seed always give the same sample.

Memory does not grow with the budget: one pass over the input keeps each document's hash and
size (16 bytes a document) and finds the hash threshold; the kept texts are then yielded in
file order, from memory when the whole input was at most ``HELD_BYTES``, else from a spool
file of the texts in ``TMPDIR`` (the input's text size on disk, removed after). Until issue 18
the texts themselves were held, up to the 1 GiB default budget.

Without any budget every document is streamed straight through (file order), holding nothing;
so is an input that cannot reach the budget: uncompressed JSONL and text files whose sizes, times
3 (a byte of the file is at most 3 bytes of text, U+FFFD for an undecodable one), fit within
``max_bytes`` with no ``max_docs`` (every document would be kept, in file order: the same sample
without hashing and spooling it, ~1 s per 200 MB).
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
from array import array
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pyarrow as pa
import xxhash

from curation.io.docfiles import TextBlock, batched, detect_format, iter_file_texts, iter_jsonl_text_blocks
from curation.io.paths import size as file_size

log = logging.getLogger(__name__)

# Inputs up to this size are held in memory between the passes, larger ones spooled (it costs
# no time: 100 MB of JSONL sampled in 4.1 s spooled, 4.8 s held, at 74 vs 218 MB peak RSS).
HELD_BYTES = 8 << 20
NO_THRESHOLD = 1 << 64
# Documents a block of :meth:`TextSample.blocks` holds where the reading has no blocks of its own
BLOCK_DOCS = 1024
# Blocks of JSONL parsed at once while the trainer takes the sentences (200 MB, sentencepiece BPE: its
# input read in 0.6 s with two threads on two cores, 0.75 s with one)
PARSE_THREADS = min(4, os.cpu_count() or 1)


@dataclass
class SampleStats:
    """What was read and what was kept (written to the training report)."""

    files: int = 0
    files_failed: list[str] = field(default_factory=list)
    docs_seen: int = 0
    docs_bad: int = 0          # rows that were not documents (bad JSON, no text), skipped
    docs_empty: int = 0        # documents whose text is empty or whitespace
    bytes_seen: int = 0
    docs_sampled: int = 0
    bytes_sampled: int = 0
    budget_reached: bool = False
    max_docs: int | None = None
    max_bytes: int | None = None
    seed: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def bottom_k_threshold(hashes, sizes, max_docs: int | None, max_bytes: int | None) -> tuple[int, int, int]:
    """(threshold, docs kept, bytes kept): keep the documents whose hash is below the threshold.

    The kept documents are the longest hash-ordered prefix that fits both limits; documents of
    equal hash (equal texts) are kept or dropped together. ``NO_THRESHOLD`` when all fit.
    """
    h = np.frombuffer(hashes, dtype=np.uint64) if not isinstance(hashes, np.ndarray) else hashes
    n = len(h)
    if n == 0:
        return NO_THRESHOLD, 0, 0
    order = np.argsort(h, kind="stable")
    ordered = h[order]
    total = np.cumsum(np.asarray(sizes, dtype=np.int64)[order])
    fits = n
    if max_bytes is not None:
        fits = min(fits, int(np.searchsorted(total, max_bytes, side="right")))
    if max_docs is not None:
        fits = min(fits, max_docs)
    if fits == n:
        return NO_THRESHOLD, n, int(total[-1])
    threshold = int(ordered[fits])
    kept = int(np.searchsorted(ordered, ordered[fits], side="left"))
    return threshold, kept, int(total[kept - 1]) if kept else 0


class TextSample:
    """Iterable over the sampled texts of ``paths``; ``stats`` is complete once iterated.

    Unreadable files are counted in ``stats.files_failed`` and skipped, bad rows in ``docs_bad``.
    """

    def __init__(self, paths: Iterable[str], max_docs: int | None = None, max_bytes: int | None = None,
                 seed: int = 0):
        self.paths = sorted(set(paths))  # the same set of files in any order gives the same sample
        self.stats = SampleStats(max_docs=max_docs, max_bytes=max_bytes, seed=seed)
        if not self.paths:
            raise ValueError("no input files to train the tokenizer on")

    def fits_budget(self) -> bool:
        """Whether every document is sure to fit ``max_bytes`` (and there is no ``max_docs``)."""
        stats = self.stats
        if stats.max_docs is not None or stats.max_bytes is None:
            return False
        total = 0
        for path in self.paths:
            try:
                if path.lower().endswith(".gz") or detect_format(path) not in ("jsonl", "text"):
                    return False  # Parquet and gzip: the file size does not bound the text size
                size = file_size(path)
            except (OSError, ValueError):
                return False  # reading will report it (skipped and counted)
            total += 3 * size
            if size < 0 or total > stats.max_bytes:  # -1: an http(s) file, size not asked
                return False
        return True

    def streams(self) -> bool:
        """Whether every document is kept (no budget, or one the input cannot reach): then the texts
        are streamed in file order, neither hashed nor held."""
        stats = self.stats
        return (stats.max_docs is None and stats.max_bytes is None) or self.fits_budget()

    def blocks(self, on_column: Callable[[pa.ChunkedArray], Any] | None = None) -> Iterator[TextBlock]:
        """The sampled texts a block of documents at a time, in the order of iterating the sample.

        Where the sample :meth:`streams`, a block of JSONL that pyarrow parsed may come as
        ``on_column(texts)`` (run on the reading's parse thread, see
        :func:`curation.io.docfiles.iter_jsonl_text_blocks`) of its Arrow ``text`` column, blank
        texts included, if that is not None; every other block as ``texts``, without blank texts.
        """
        if self.streams():
            yield from self._streamed(on_column)
            return
        for texts in batched(self, BLOCK_DOCS):
            yield TextBlock(texts=texts)

    def _streamed(self, on_column: Callable[[pa.ChunkedArray], Any] | None) -> Iterator[TextBlock]:
        stats = self.stats
        counted = None if on_column is None else _with_counts(on_column)
        try:
            for path in self.paths:
                for block in self._guarded(path, self._file_blocks(path, counted)):
                    if block.prepared is None:
                        yield TextBlock(texts=[text for text, _ in self._counted(block.texts)])
                        continue
                    (docs, blank, size), prepared = block.prepared
                    stats.docs_seen += docs
                    stats.docs_empty += blank
                    stats.bytes_seen += size
                    yield TextBlock(prepared=prepared)
        finally:  # every document read is kept
            stats.docs_sampled, stats.bytes_sampled = stats.docs_seen - stats.docs_empty, stats.bytes_seen

    def __iter__(self) -> Iterator[str]:
        stats = self.stats
        if self.streams():
            for block in self._streamed(None):
                yield from block.texts
            return
        seed = stats.seed & 0xFFFFFFFFFFFFFFFF
        hashes, sizes = array("Q"), array("Q")
        held: list[str] = []
        spool = None  # past HELD_BYTES: every text's UTF-8 bytes, one after another, in a temporary file
        try:
            for text, data in self._read():
                hashes.append(xxhash.xxh3_64_intdigest(data, seed))
                sizes.append(len(data))
                if spool is not None:
                    spool.write(data)
                    continue
                held.append(text)
                if stats.bytes_seen > HELD_BYTES:
                    spool = tempfile.TemporaryFile(prefix="tokenizer-sample-")
                    for kept in held:
                        spool.write(kept.encode("utf-8", "surrogatepass"))
                    held = []
            threshold, stats.docs_sampled, stats.bytes_sampled = bottom_k_threshold(
                hashes, sizes, stats.max_docs, stats.max_bytes)
            stats.budget_reached = stats.docs_sampled < len(hashes)
            if spool is None:
                held.reverse()
                for key in hashes:  # let go of each text as the trainer takes it
                    text = held.pop()
                    if key < threshold:
                        yield text
                return
            spool.seek(0)
            for key, size in zip(hashes, sizes):
                data = spool.read(size)
                if key < threshold:
                    yield data.decode("utf-8", "surrogatepass")
        finally:
            if spool is not None:
                spool.close()

    def _read(self) -> Iterator[tuple[str, bytes]]:
        """(text, its UTF-8) of every non-blank document, in file order."""
        # Text only: building full documents would cost ~4x the JSON parsing itself.
        for path in self.paths:
            yield from self._counted(self._guarded(path, iter_file_texts(path, on_error=self._bad_row)))

    def _file_blocks(self, path: str, on_column: Callable[[pa.ChunkedArray], Any] | None) -> Iterator[TextBlock]:
        if detect_format(path) in ("jsonl", "jsonl.gz"):
            # On_column's work (the sentences: ~0.3 s per 200 MB) as much as the parse: a thread each
            yield from iter_jsonl_text_blocks(path, self._bad_row, on_column,
                                              parse_threads=1 if on_column is None else PARSE_THREADS)
            return
        for texts in batched(iter_file_texts(path, on_error=self._bad_row), BLOCK_DOCS):
            yield TextBlock(texts=texts)

    def _counted(self, texts: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """(text, its UTF-8) of the non-blank ``texts``, counted in ``stats``."""
        stats = self.stats
        for text in texts:
            stats.docs_seen += 1
            if not text.strip():
                stats.docs_empty += 1
                continue
            data = text.encode("utf-8", "surrogatepass")
            stats.bytes_seen += len(data)
            yield text, data

    def _guarded(self, path: str, items: Iterator) -> Iterator:
        """``items`` read from ``path``; a file that cannot be read is counted in ``files_failed`` and
        skipped (what was read of it before is kept)."""
        stats = self.stats
        stats.files += 1
        try:
            yield from items
        except (OSError, ValueError, EOFError) as exc:
            self._file_failed(path, exc)
        except Exception as exc:  # pyarrow raises its own error types on corrupt Parquet
            if not type(exc).__module__.startswith("pyarrow"):
                raise
            self._file_failed(path, exc)

    def _file_failed(self, path: str, reason: object) -> None:
        self.stats.files_failed.append(path)
        print(f"tokenizer: skipped unreadable file {path}: {reason}", file=sys.stderr)

    def _bad_row(self, path: str, where: int, reason: str) -> None:
        if where == 0:  # the whole file is unreadable (not Parquet)
            self._file_failed(path, reason)
        else:
            self.stats.docs_bad += 1
            log.warning("%s:%s: skipped: %s", path, where, reason)


def _with_counts(on_column: Callable[[pa.ChunkedArray], Any]) -> Callable[[pa.ChunkedArray], Any]:
    """``on_column`` that also counts its column (on the parse thread): ((documents, blank documents,
    UTF-8 bytes of the others), ``on_column(texts)``), or None where ``on_column`` gives None."""
    import pyarrow.compute as pc  # only here: its import costs every other command ~20 ms

    def counted(texts: pa.ChunkedArray) -> Any:
        prepared = on_column(texts)
        if prepared is None:
            return None
        sizes = pc.binary_length(texts)
        # blank as str.strip() finds it: empty, or whitespace only (utf8_is_space agrees with str.isspace)
        blank = pc.or_(pc.equal(sizes, 0), pc.utf8_is_space(texts))
        size = pc.sum(pc.if_else(blank, 0, sizes)).as_py() or 0
        return (len(texts), pc.sum(blank).as_py() or 0, size), prepared

    return counted
