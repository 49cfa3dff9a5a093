"""Export shards to Megatron-LM's indexed dataset (``PREFIX.bin`` + ``PREFIX.idx``, MMIDIDX).

Megatron/NeMo do their own packing (they concatenate documents and cut
``seq_len + 1`` windows), so the export writes the *segments* of the shard rows,
without padding, one Megatron document per segment, in shard order (already
shuffled by seed). ``.bin`` is the tokens back to back; ``.idx`` is:

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

from curation.shards.manifest import check_listing, open_verified_shard, read_manifest

INDEX_HEADER = b"MMIDIDX\x00\x00"
INDEX_VERSION = 1
DTYPE_CODES = {np.uint8: 1, np.int8: 2, np.int16: 3, np.int32: 4, np.int64: 5, np.float64: 6,
               np.float32: 7, np.uint16: 8}
CODE_DTYPES = {code: dtype for dtype, code in DTYPE_CODES.items()}


def token_dtype(vocab_size: int) -> type:
    return np.uint16 if vocab_size < 65500 else np.int32


def _segments(directory: str, manifest: dict) -> Iterator[np.ndarray]:
    for entry in manifest["shards"]:
        with open_verified_shard(directory, entry) as verified:
            parquet = pq.ParquetFile(verified)
            for batch in parquet.iter_batches(columns=["input_ids", "segment_ids"], batch_size=1024):
                seq_len = manifest["seq_len"]
                ids = batch.column(0).flatten().to_numpy().reshape(-1, seq_len)
                seg = batch.column(1).flatten().to_numpy().reshape(-1, seq_len)
                for row_ids, row_seg in zip(ids, seg):
                    # segments are contiguous runs of equal non-zero segment id
                    bounds = np.flatnonzero(np.diff(row_seg, prepend=-1, append=-1))
                    for a, b in zip(bounds[:-1], bounds[1:]):
                        if row_seg[a] != 0:
                            yield row_ids[a:b]


def export_megatron(directory: str, prefix: str) -> dict:
    """Write ``prefix.bin`` / ``prefix.idx`` from a shard directory; returns counts."""
    manifest = read_manifest(directory)
    check_listing(directory, manifest)
    dtype = token_dtype(int(manifest["vocab_size"]))
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    lengths: list[int] = []
    with open(prefix + ".bin", "wb") as out:
        for segment in _segments(directory, manifest):
            out.write(segment.astype(dtype).tobytes())
            lengths.append(len(segment))
    write_index(prefix + ".idx", np.asarray(lengths, np.int32), np.arange(len(lengths) + 1, dtype=np.int64), dtype)
    return {"sequences": len(lengths), "tokens": int(sum(lengths)), "dtype": np.dtype(dtype).name,
            "bin": prefix + ".bin", "idx": prefix + ".idx"}


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
