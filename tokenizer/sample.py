"""A reproducible, memory-bounded sample of document texts for tokenizer training.

The sample is a *bottom-k by hash*: of all documents, keep those with the smallest
``xxh3_64(text, seed)`` whose count and total UTF-8 size fit ``max_docs`` / ``max_bytes``.
That choice depends only on the texts and the seed, not on file order, file splitting or
how many documents there are, so the same corpus and seed always give the same sample;
memory is bounded by the budget (one max-heap of kept texts). The kept texts are
yielded in hash order, which is as good as a seeded shuffle.

Without any budget every document is streamed straight through (file order), holding nothing.
"""
from __future__ import annotations

import heapq
import logging
import sys
from dataclasses import asdict, dataclass, field
from typing import Iterable, Iterator

import xxhash

from curation.io.docfiles import iter_file_texts

log = logging.getLogger(__name__)


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


class BottomKSample:
    """Keeps the texts of smallest ``xxh3_64(text, seed)`` within ``max_docs`` and ``max_bytes``."""

    def __init__(self, max_docs: int | None, max_bytes: int | None, seed: int = 0):
        self.max_docs = max_docs
        self.max_bytes = max_bytes
        self.seed = seed & 0xFFFFFFFFFFFFFFFF
        self._heap: list[tuple[int, str, int]] = []  # (-hash, text, nbytes): the root is the largest hash
        self.bytes = 0
        self.evicted = 0
        self.threshold = 1 << 64  # smallest hash ever dropped; nothing at or above it is kept

    def add(self, text: str, data: bytes) -> None:
        key = xxhash.xxh3_64_intdigest(data, self.seed)
        if key >= self.threshold:  # a document with a smaller hash already did not fit
            self.evicted += 1
            return
        heapq.heappush(self._heap, (-key, text, len(data)))
        self.bytes += len(data)
        while self._over() or (self._heap and -self._heap[0][0] >= self.threshold):
            # Invariant: the heap holds every document seen so far whose hash is below the
            # threshold, so the result is the longest hash-ordered prefix that fits, whatever
            # the order documents arrive in (equal hashes, i.e. equal texts, leave together).
            neg, _, gone = heapq.heappop(self._heap)
            self.threshold = min(self.threshold, -neg)
            self.bytes -= gone
            self.evicted += 1

    def _over(self) -> bool:
        return bool(self._heap) and ((self.max_docs is not None and len(self._heap) > self.max_docs)
                                     or (self.max_bytes is not None and self.bytes > self.max_bytes))

    def texts(self) -> list[str]:
        """The kept texts, smallest hash first (ties broken by text, so fully deterministic)."""
        return [text for _, text, _ in sorted(self._heap, key=lambda e: (-e[0], e[1]))]


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

    def __iter__(self) -> Iterator[str]:
        stats = self.stats
        if stats.max_docs is None and stats.max_bytes is None:
            for text, data in self._read():
                stats.docs_sampled += 1
                stats.bytes_sampled += len(data)
                yield text
            return
        sample = BottomKSample(stats.max_docs, stats.max_bytes, stats.seed)
        for text, data in self._read():
            sample.add(text, data)
        stats.budget_reached = sample.evicted > 0
        texts = sample.texts()
        stats.docs_sampled, stats.bytes_sampled = len(texts), sample.bytes
        del sample
        texts.reverse()
        while texts:  # let go of each text as the trainer takes it: the sample and the trainer's state do not add up
            yield texts.pop()

    def _read(self) -> Iterator[tuple[str, bytes]]:
        stats = self.stats

        def bad_row(path: str, where: int, reason: str) -> None:
            if where == 0:  # the whole file is unreadable (not Parquet)
                stats.files_failed.append(path)
                print(f"tokenizer: skipped unreadable file {path}: {reason}", file=sys.stderr)
                return
            stats.docs_bad += 1
            log.warning("%s:%s: skipped: %s", path, where, reason)

        for path in self.paths:
            stats.files += 1
            try:
                # Text only: building full documents would cost ~4x the JSON parsing itself.
                for text in iter_file_texts(path, on_error=bad_row):
                    stats.docs_seen += 1
                    if not text.strip():
                        stats.docs_empty += 1
                        continue
                    data = text.encode("utf-8", "surrogatepass")
                    stats.bytes_seen += len(data)
                    yield text, data
            except (OSError, ValueError, EOFError) as exc:
                stats.files_failed.append(path)
                print(f"tokenizer: skipped unreadable file {path}: {exc}", file=sys.stderr)
            except Exception as exc:  # pyarrow raises its own error types on corrupt Parquet
                if type(exc).__module__.startswith("pyarrow"):
                    stats.files_failed.append(path)
                    print(f"tokenizer: skipped unreadable file {path}: {exc}", file=sys.stderr)
                else:
                    raise
