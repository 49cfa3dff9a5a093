"""Export shards to Megatron-LM's indexed dataset (``PREFIX.bin`` + ``PREFIX.idx``, MMIDIDX).

Megatron/NeMo do their own packing (they concatenate documents and cut
``seq_len + 1`` windows), so by default the export writes *whole source documents*, one
Megatron document per document copy, its tokens in order, reassembled from the shard rows'
segments and ``segment_offsets`` (a document longer than ``seq_len`` was cut into chunks that
the blend spread over rows and shards): Megatron's sampler then sees the real document
boundaries. Documents come in the order of their first chunk in the shards (the blend order).
A document repeated over epochs appears once per copy: the i-th chunk at a given offset of
``(source, doc id)`` belongs to its i-th copy (copies are identical, so the pairing cannot
change a token). ``per_segment=True`` writes each segment as its own document instead.

The export reads the shards twice: once for the segment lengths and offsets (to place every
document in ``.bin``), once to copy the tokens into place, so memory holds metadata only.
``.bin`` is the tokens back to back; ``.idx`` is:

    b"MMIDIDX\\x00\\x00"  <Q version=1  <B dtype code  <Q sequence count  <Q document count
    int32[sequence count]   tokens per sequence
    int64[sequence count]   byte offset of each sequence in .bin
    int64[document count]   document boundaries as sequence indices, starting with 0

Token dtype follows Megatron's rule: uint16 when the vocabulary is under 65500, else int32.
"""
from __future__ import annotations

import os
import struct
from typing import Iterator

import numpy as np
import pyarrow.parquet as pq

from curation.io.parquet_batches import iter_batches
from curation.shards.manifest import check_listing, open_verified_shard, read_manifest

INDEX_HEADER = b"MMIDIDX\x00\x00"
INDEX_VERSION = 1
DTYPE_CODES = {np.uint8: 1, np.int8: 2, np.int16: 3, np.int32: 4, np.int64: 5, np.float64: 6,
               np.float32: 7, np.uint16: 8}
CODE_DTYPES = {code: dtype for dtype, code in DTYPE_CODES.items()}


def token_dtype(vocab_size: int) -> type:
    return np.uint16 if vocab_size < 65500 else np.int32


def _rows(directory: str, manifest: dict, columns: list[str]) -> Iterator[dict]:
    """Every row's ``columns`` (checked shards, file order), per-token columns as ``[seq_len]`` arrays."""
    seq_len = int(manifest["seq_len"])
    for entry in manifest["shards"]:
        with open_verified_shard(directory, entry) as verified:
            parquet = pq.ParquetFile(verified)
            for batch in iter_batches(parquet, 1024, columns):
                cols = {}
                for name in columns:
                    column = batch.column(name)
                    if name in ("input_ids", "segment_ids"):
                        cols[name] = column.flatten().to_numpy().reshape(-1, seq_len)
                    else:
                        cols[name] = column.to_pylist()
                for r in range(batch.num_rows):
                    yield {name: cols[name][r] for name in columns}


def _segments(directory: str, manifest: dict) -> Iterator[np.ndarray]:
    """Every segment's tokens (the contiguous runs of one non-zero segment id), in shard order."""
    for row in _rows(directory, manifest, ["input_ids", "segment_ids"]):
        row_ids, row_seg = row["input_ids"], row["segment_ids"]
        bounds = np.flatnonzero(np.diff(row_seg, prepend=-1, append=-1))
        for a, b in zip(bounds[:-1], bounds[1:]):
            if row_seg[a] != 0:
                yield row_ids[a:b]


def _document_layout(directory: str, manifest: dict) -> tuple[np.ndarray, np.ndarray]:
    """Pass 1: (document lengths in order, token position in ``.bin`` of every segment)."""
    copies: dict[tuple[str, str, int], int] = {}  # (source, doc, offset) -> chunks seen at that offset
    doc_of: dict[tuple[str, str, int], int] = {}  # (source, doc, copy) -> document number
    seg_doc, seg_offset, seg_len, doc_len = [], [], [], []
    for row in _rows(directory, manifest, ["segment_ids", "segment_sources", "segment_doc_ids",
                                           "segment_offsets"]):
        lengths = np.bincount(row["segment_ids"], minlength=len(row["segment_doc_ids"]) + 1)[1:]
        for source, doc_id, offset, n in zip(row["segment_sources"], row["segment_doc_ids"],
                                             row["segment_offsets"], lengths.tolist()):
            copy = copies.get((source, doc_id, offset), 0)
            copies[(source, doc_id, offset)] = copy + 1
            doc = doc_of.setdefault((source, doc_id, copy), len(doc_len))
            if doc == len(doc_len):
                doc_len.append(0)
            doc_len[doc] += n
            seg_doc.append(doc)
            seg_offset.append(offset)
            seg_len.append(n)
    seg_doc, seg_offset, seg_len = (np.asarray(x, np.int64) for x in (seg_doc, seg_offset, seg_len))
    lengths = np.asarray(doc_len, np.int64)
    doc_start = np.cumsum(lengths) - lengths
    # within a document, chunks are laid out by offset (offsets are exact token positions)
    order = np.lexsort((seg_offset, seg_doc))
    within = np.zeros(len(seg_len), np.int64)
    sorted_len = seg_len[order]
    sorted_doc = seg_doc[order]
    run = np.cumsum(sorted_len) - sorted_len
    first_of_doc = np.searchsorted(sorted_doc, sorted_doc)
    within[order] = run - run[first_of_doc]
    return lengths, doc_start[seg_doc] + within


def export_megatron(directory: str, prefix: str, per_segment: bool = False) -> dict:
    """Write ``prefix.bin`` / ``prefix.idx`` from a shard directory; returns counts.

    One Megatron document per source document (``per_segment``: per segment)."""
    manifest = read_manifest(directory)
    check_listing(directory, manifest)
    dtype = token_dtype(int(manifest["vocab_size"]))
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    if per_segment:
        lengths_list: list[int] = []
        with open(prefix + ".bin", "wb") as out:
            for segment in _segments(directory, manifest):
                out.write(segment.astype(dtype).tobytes())
                lengths_list.append(len(segment))
        lengths = np.asarray(lengths_list, np.int64)
    else:
        lengths, positions = _document_layout(directory, manifest)
        total = int(lengths.sum())
        with open(prefix + ".bin", "wb") as out:
            out.truncate(total * np.dtype(dtype).itemsize)
        if total:
            tokens = np.memmap(prefix + ".bin", dtype=dtype, mode="r+", shape=(total,))
            for segment, at in zip(_segments(directory, manifest), positions.tolist()):
                tokens[at:at + len(segment)] = segment
            tokens.flush()
            del tokens
    write_index(prefix + ".idx", lengths.astype(np.int32), np.arange(len(lengths) + 1, dtype=np.int64), dtype)
    return {"sequences": len(lengths), "tokens": int(lengths.sum()), "dtype": np.dtype(dtype).name,
            "bin": prefix + ".bin", "idx": prefix + ".idx",
            "documents": "per segment" if per_segment else "whole documents"}


def write_index(path: str, lengths: np.ndarray, document_indices: np.ndarray, dtype: type) -> None:
    itemsize = np.dtype(dtype).itemsize
    pointers = np.zeros(len(lengths), np.int64)
    if len(lengths) > 1:
        pointers[1:] = np.cumsum(lengths[:-1].astype(np.int64)) * itemsize
    with open(path, "wb") as fh:
        fh.write(INDEX_HEADER)
        fh.write(struct.pack("<Q", INDEX_VERSION))
        fh.write(struct.pack("<B", DTYPE_CODES[dtype]))
        fh.write(struct.pack("<Q", len(lengths)))
        fh.write(struct.pack("<Q", len(document_indices)))
        fh.write(lengths.astype(np.int32).tobytes())
        fh.write(pointers.tobytes())
        fh.write(document_indices.astype(np.int64).tobytes())


class MegatronIndexedDataset:
    """A reader of the MMIDIDX format (independent of the writer above): ``ds[i]`` is sequence i."""

    def __init__(self, prefix: str):
        with open(prefix + ".idx", "rb") as fh:
            data = fh.read()
        if data[:9] != INDEX_HEADER:
            raise ValueError(f"{prefix}.idx is not a Megatron MMIDIDX index (bad magic)")
        version, = struct.unpack_from("<Q", data, 9)
        if version != INDEX_VERSION:
            raise ValueError(f"{prefix}.idx: unsupported index version {version}")
        code, = struct.unpack_from("<B", data, 17)
        self.dtype = CODE_DTYPES[code]
        sequences, documents = struct.unpack_from("<QQ", data, 18)
        at = 34
        self.lengths = np.frombuffer(data, np.int32, sequences, at)
        at += 4 * sequences
        self.pointers = np.frombuffer(data, np.int64, sequences, at)
        at += 8 * sequences
        self.document_indices = np.frombuffer(data, np.int64, documents, at)
        if at + 8 * documents != len(data):
            raise ValueError(f"{prefix}.idx: {len(data) - at - 8 * documents} trailing bytes")
        self.bin = np.memmap(prefix + ".bin", dtype=self.dtype, mode="r")

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i: int) -> np.ndarray:
        start = self.pointers[i] // np.dtype(self.dtype).itemsize
        return np.asarray(self.bin[start:start + self.lengths[i]])
