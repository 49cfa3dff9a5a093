"""Rows of segments -> one Parquet shard in the format of :mod:`curation.shards.format`.

All per-token columns are built as ``[rows, seq_len]`` numpy arrays and handed to
pyarrow as fixed-size lists (no per-token Python objects). The file is written
from memory in one go so that its SHA-256 is known without reading it back.
"""
from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from curation.io.paths import open_write
from curation.shards.format import shard_schema
from curation.shards.packing import Segment

ROW_GROUP_ROWS = 1024  # readers stream one row group at a time


def rows_to_table(rows: list[list[Segment]], seq_len: int, pad_id: int) -> pa.Table:
    """The shard columns for ``rows``: padding with ``pad_id``, masks, segment/position ids."""
    n = len(rows)
    ids = np.full((n, seq_len), pad_id, dtype=np.int32)
    seg = np.zeros((n, seq_len), dtype=np.int32)
    pos = np.zeros((n, seq_len), dtype=np.int32)
    ramp = np.arange(seq_len, dtype=np.int32)
    for r, row in enumerate(rows):
        at = 0
        for k, s in enumerate(row, 1):
            length = len(s.tokens)
            if at + length > seq_len:
                raise ValueError(f"row {r} holds {at + length} tokens, more than seq_len={seq_len}")
            ids[r, at:at + length] = s.tokens
            seg[r, at:at + length] = k
            pos[r, at:at + length] = ramp[:length]
            at += length
    real = (seg > 0).astype(np.int8)
    schema = shard_schema(seq_len)

    def fixed(array: np.ndarray, name: str) -> pa.Array:
        return pa.FixedSizeListArray.from_arrays(pa.array(array.ravel(), schema.field(name).type.value_type),
                                                 seq_len)

    return pa.Table.from_arrays([
        fixed(ids, "input_ids"),
        fixed(real, "attention_mask"),
        fixed(seg, "segment_ids"),
        fixed(pos, "position_ids"),
        fixed(real.copy(), "loss_mask"),  # every real token is a target; padding never is
        pa.array([[s.source for s in row] for row in rows], pa.list_(pa.string())),
        pa.array([[s.doc_id for s in row] for row in rows], pa.list_(pa.string())),
        pa.array([[s.offset for s in row] for row in rows], pa.list_(pa.int32())),
    ], schema=schema)


def table_bytes(table: pa.Table, row_group_rows: int = ROW_GROUP_ROWS,
                metadata: dict[str, str] | None = None) -> bytes:
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", row_group_size=row_group_rows, write_statistics=False)
    return sink.getvalue().to_pybytes()


def write_shard(path: str, file_name: str, rows: list[list[Segment]], seq_len: int,
                pad_id: int, tokenizer_sha256: str | None = None) -> dict[str, Any]:
    """Write one shard; returns its manifest entry (plus per-source token counts).

    The tokenizer's hash also goes into the file's own metadata, so a shard moved away
    from its manifest still says which tokenizer made it (validation checks it).
    """
    metadata = {"tokenizer_sha256": tokenizer_sha256} if tokenizer_sha256 else None
    data = table_bytes(rows_to_table(rows, seq_len, pad_id), metadata=metadata)
    with open_write(path) as fh:
        fh.write(data)
    real = sum(len(s.tokens) for row in rows for s in row)
    sources: dict[str, int] = {}
    for row in rows:
        for s in row:
            sources[s.source] = sources.get(s.source, 0) + len(s.tokens)
    return {"file": file_name, "rows": len(rows), "tokens": len(rows) * seq_len, "real_tokens": real,
            "pad_tokens": len(rows) * seq_len - real, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "source_tokens": dict(sorted(sources.items()))}
