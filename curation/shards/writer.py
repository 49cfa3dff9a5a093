"""Rows of segments -> one Parquet shard in the format of :mod:`curation.shards.format`.

All per-token columns are built as flat ``[rows * seq_len]`` numpy arrays and handed to
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
from curation.shards.rows import RowBlock

ROW_GROUP_ROWS = 1024  # readers stream one row group at a time


def rows_to_table(rows: list[list[Segment]], seq_len: int, pad_id: int) -> pa.Table:
    """The shard columns for ``rows`` (see :func:`block_to_table`)."""
    return block_to_table(RowBlock.from_rows(rows), seq_len, pad_id)


def block_to_table(block: RowBlock, seq_len: int, pad_id: int) -> pa.Table:
    """The shard columns of a block's rows: padding with ``pad_id``, masks, segment/position ids.

    Every per-token column is filled by numpy scatter on flat ``[rows * seq_len]`` indices.
    """
    n = block.num_rows
    row_tokens = block.row_tokens()
    over = np.flatnonzero(row_tokens > seq_len)
    if len(over):
        raise ValueError(f"row {int(over[0])} holds {int(row_tokens[over[0]])} tokens, more than seq_len={seq_len}")
    lengths = block.seg_lengths
    seg_counts = block.row_segments()
    seg_first = np.cumsum(seg_counts) - seg_counts  # first segment of each row
    row_start = np.cumsum(row_tokens) - row_tokens  # first token of each row in block.tokens
    tok_first = np.cumsum(lengths) - lengths  # first token of each segment in block.tokens
    tok_seg = np.repeat(np.arange(len(lengths)), lengths)  # segment of every token
    tok_row = block.seg_rows[tok_seg]
    column = np.arange(len(block.tokens), dtype=np.int64) - row_start[tok_row]
    flat = tok_row * seq_len + column
    ids = np.full(n * seq_len, pad_id, dtype=np.int32)
    seg = np.zeros(n * seq_len, dtype=np.int32)
    pos = np.zeros(n * seq_len, dtype=np.int32)
    ids[flat] = block.tokens
    seg[flat] = (tok_seg - seg_first[tok_row] + 1).astype(np.int32)
    pos[flat] = (np.arange(len(block.tokens), dtype=np.int64) - tok_first[tok_seg]).astype(np.int32)
    real = (seg > 0).astype(np.int8)
    schema = shard_schema(seq_len)

    def fixed(array: np.ndarray, name: str) -> pa.Array:
        return pa.FixedSizeListArray.from_arrays(pa.array(array, schema.field(name).type.value_type), seq_len)

    list_offsets = pa.array(np.concatenate([[0], np.cumsum(seg_counts)]).astype(np.int32))

    def per_segment(values, value_type) -> pa.Array:
        return pa.ListArray.from_arrays(list_offsets, pa.array(values, value_type))

    return pa.Table.from_arrays([
        fixed(ids, "input_ids"),
        fixed(real, "attention_mask"),
        fixed(seg, "segment_ids"),
        fixed(pos, "position_ids"),
        fixed(real.copy(), "loss_mask"),  # every real token is a target; padding never is
        per_segment(block.seg_sources, pa.string()),
        per_segment(block.seg_doc_ids, pa.string()),
        per_segment(block.seg_offsets.astype(np.int32), pa.int32()),
    ], schema=schema)


def with_metadata(table: pa.Table, metadata: dict[str, str] | None) -> pa.Table:
    return table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata}) if metadata else table


def table_bytes(table: pa.Table, row_group_rows: int = ROW_GROUP_ROWS,
                metadata: dict[str, str] | None = None) -> bytes:
    table = with_metadata(table, metadata)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", row_group_size=row_group_rows, write_statistics=False)
    return sink.getvalue().to_pybytes()


def write_shard(path: str, file_name: str, block: RowBlock, seq_len: int,
                pad_id: int, tokenizer_sha256: str | None = None) -> dict[str, Any]:
    """Write one shard; returns its manifest entry (plus per-source token counts).

    The tokenizer's hash also goes into the file's own metadata, so a shard moved away
    from its manifest still says which tokenizer made it (validation checks it).
    """
    return write_prepared(path, *prepare_shard(file_name, block, seq_len, pad_id, tokenizer_sha256))


def prepare_shard(file_name: str, block: RowBlock, seq_len: int, pad_id: int,
                  tokenizer_sha256: str | None = None) -> tuple[pa.Table, dict[str, Any]]:
    """A shard's table (with its metadata) and its manifest entry but for the file's bytes and hash.

    The first half of :func:`write_shard`, numpy and Python; the second half,
    :func:`write_prepared`, runs outside the GIL and so can run on another thread meanwhile.
    """
    metadata = {"tokenizer_sha256": tokenizer_sha256} if tokenizer_sha256 else None
    table = with_metadata(block_to_table(block, seq_len, pad_id), metadata)
    real = int(block.seg_lengths.sum())
    sources: dict[str, int] = {}
    for source, n in zip(block.seg_sources, block.seg_lengths.tolist()):
        sources[source] = sources.get(source, 0) + n
    rows = block.num_rows
    return table, {"file": file_name, "rows": rows, "tokens": rows * seq_len, "real_tokens": real,
                   "pad_tokens": rows * seq_len - real, "source_tokens": dict(sorted(sources.items()))}


def write_prepared(path: str, table: pa.Table, entry: dict[str, Any]) -> dict[str, Any]:
    """Encode (Parquet, zstd), hash and write a prepared shard; its entry with ``bytes`` and ``sha256``."""
    data = table_bytes(table)
    with open_write(path) as fh:
        fh.write(data)
    return {**entry, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
