"""The on-disk contract of token shards, shared by the writer, the reader and validation.

A shard directory holds ``shard-IIIII-of-NNNNN.parquet`` files and one
``manifest.json``. Every row is one training sequence of exactly ``seq_len``
tokens; all per-token columns are fixed-size lists so a reader can map a row
group straight into a ``[rows, seq_len]`` array.
"""
from __future__ import annotations

import pyarrow as pa

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
SHARD_PREFIX = "shard"
SHARD_GLOB = f"{SHARD_PREFIX}-*-of-*.parquet"  # what shard_file_name() makes


def shard_schema(seq_len: int) -> pa.Schema:
    """Per-row columns:

    - ``input_ids``: token ids, padded with the tokenizer's pad id.
    - ``attention_mask``: 1 on real tokens, 0 on padding.
    - ``segment_ids``: 1, 2, ... for each document segment packed into the row, 0 on padding;
      attention must not cross segments.
    - ``position_ids``: 0, 1, ... restarting at every segment, 0 on padding (RoPE positions).
    - ``loss_mask``: 1 where the token is a prediction target (real tokens), 0 on padding.
    - ``segment_sources`` / ``segment_doc_ids``: per segment (in order), the mixture source and
      the document id it came from.
    - ``segment_offsets``: per segment, the token offset within its document where the segment
      starts (non-zero only for chunks of documents longer than ``seq_len``), so that split
      documents can be reassembled.
    """
    return pa.schema([
        pa.field("input_ids", pa.list_(pa.int32(), seq_len), nullable=False),
        pa.field("attention_mask", pa.list_(pa.int8(), seq_len), nullable=False),
        pa.field("segment_ids", pa.list_(pa.int32(), seq_len), nullable=False),
        pa.field("position_ids", pa.list_(pa.int32(), seq_len), nullable=False),
        pa.field("loss_mask", pa.list_(pa.int8(), seq_len), nullable=False),
        pa.field("segment_sources", pa.list_(pa.string()), nullable=False),
        pa.field("segment_doc_ids", pa.list_(pa.string()), nullable=False),
        pa.field("segment_offsets", pa.list_(pa.int32()), nullable=False),
    ])


def shard_file_name(index: int, count: int) -> str:
    return f"{SHARD_PREFIX}-{index:05d}-of-{count:05d}.parquet"
