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

    A block's tokens are its rows' real tokens in row order, so a ``[rows, seq_len]`` mask of
    the real slots (each row's first ``row_tokens``) takes them in that order: every per-token
    column is one masked assignment of a per-token array (no flat index arrays).
    """
    n = block.num_rows
    row_tokens = block.row_tokens()
    over = np.flatnonzero(row_tokens > seq_len)
    if len(over):
        raise ValueError(f"row {int(over[0])} holds {int(row_tokens[over[0]])} tokens, more than seq_len={seq_len}")
    lengths = block.seg_lengths
    seg_counts = block.row_segments()
    seg_first = np.cumsum(seg_counts) - seg_counts  # first segment of each row
    real_slots = np.arange(seq_len) < row_tokens[:, None]
    ids = np.full((n, seq_len), pad_id, dtype=np.int32)
    seg = np.zeros((n, seq_len), dtype=np.int32)
    pos = np.zeros((n, seq_len), dtype=np.int32)
    ids[real_slots] = block.tokens
    # per segment: its number in its row (1, 2, ...); per token: its segment's, then its place in it
    seg[real_slots] = np.repeat((np.arange(len(lengths)) - seg_first[block.seg_rows] + 1).astype(np.int32), lengths)
    index = np.int32 if len(block.tokens) < 2**31 else np.int64
    tok_first = (np.cumsum(lengths) - lengths).astype(index)
    pos[real_slots] = np.arange(len(block.tokens), dtype=index) - np.repeat(tok_first, lengths)
    ids, seg, pos = ids.reshape(-1), seg.reshape(-1), pos.reshape(-1)
    real = real_slots.reshape(-1).astype(np.int8)
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
