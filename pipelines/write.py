"""Deterministic sharded writers.

Beam's file sinks name and fill shards in whatever order bundles finish, so two
runs of the same job differ. Here every record goes to shard ``hash(id) % N``
and each shard is sorted by id before it is written: the same input gives
byte-identical files on any runner and any number of workers. ``N`` is derived
from the record count (a side input), so shards stay near ``records_per_shard``.
"""
from __future__ import annotations

import json
import math
from typing import Any, Callable

import apache_beam as beam

from curation.io import docfiles
from curation.io.paths import join, open_write

SUFFIX = {"parquet": ".parquet", "jsonl": ".jsonl", "jsonl.gz": ".jsonl.gz"}


def shard_of(key: str, num_shards: int) -> int:
    import hashlib

    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % num_shards


def shard_name(prefix: str, index: int, count: int, suffix: str) -> str:
    return f"{prefix}-{index:05d}-of-{count:05d}{suffix}"


class WriteSharded(beam.PTransform):
    """Write dict records to ``output_dir/prefix-IIIII-of-NNNNN.suffix``, sorted by ``key``.

    Returns a PCollection of ``{"path", "records", "bytes"}`` per written shard.
    ``write_fn(path, records)`` writes one shard and returns its byte size.
    """

    def __init__(self, output_dir: str, prefix: str, suffix: str,
                 write_fn: Callable[[str, list[dict[str, Any]]], int],
                 key: str = "id", records_per_shard: int = 50_000, max_shards: int = 10_000):
        super().__init__()
        self.output_dir = output_dir
        self.prefix = prefix
        self.suffix = suffix
        self.write_fn = write_fn
        self.key = key
        self.records_per_shard = records_per_shard
        self.max_shards = max_shards

    def expand(self, records):
        key = self.key
        per_shard, max_shards = self.records_per_shard, self.max_shards
        count = records | "Count" >> beam.combiners.Count.Globally()
        num_shards = count | "NumShards" >> beam.Map(
            lambda n: max(1, min(max_shards, math.ceil(n / per_shard))))

        def assign(record, n):
            return shard_of(str(record[key]), n), record

        def write(shard, n):
            index, group = shard
            rows = sorted(group, key=lambda r: str(r[key]))
            if len({str(r[key]) for r in rows}) < len(rows):  # equal keys: break ties by content
                rows.sort(key=lambda r: (str(r[key]), json.dumps(r, sort_keys=True, default=str)))
            path = join(self.output_dir, shard_name(self.prefix, index, n, self.suffix))
            size = self.write_fn(path, rows)
            return {"path": path, "records": len(rows), "bytes": size}

        def write_empty(n):
            # An empty dataset still gets one (empty) shard, so the next stage finds its input.
            if n == 0:
                yield write((0, []), 1)

        written = (
            records
            | "AssignShard" >> beam.Map(assign, beam.pvalue.AsSingleton(num_shards))
            | "GroupByShard" >> beam.GroupByKey()
            | "WriteShard" >> beam.Map(write, beam.pvalue.AsSingleton(num_shards))
        )
        empty = count | "WriteIfEmpty" >> beam.FlatMap(write_empty)
        return (written, empty) | "ShardInfos" >> beam.Flatten()


class WriteDocuments(WriteSharded):
    """Documents as ``part-*.parquet`` (default) or ``part-*.jsonl.gz``."""

    def __init__(self, output_dir: str, fmt: str = "parquet", prefix: str = "part", **kwargs: Any):
        if fmt not in SUFFIX:
            raise ValueError(f"unknown document format {fmt!r}; choose one of {sorted(SUFFIX)}")
        super().__init__(output_dir, prefix, SUFFIX[fmt],
                         lambda path, docs: docfiles.write_documents(path, docs, fmt), **kwargs)


def write_jsonl(path: str, records: list[dict[str, Any]]) -> int:
    data = "".join(json.dumps(r, sort_keys=True, ensure_ascii=False, default=str) + "\n" for r in records)
    payload = data.encode("utf-8")
    with open_write(path) as fh:
        fh.write(payload)
    return len(payload)


class WriteRecords(WriteSharded):
    """Any JSON-able records (errors, duplicate pairs) as sorted JSONL shards."""

    def __init__(self, output_dir: str, prefix: str, key: str, **kwargs: Any):
        super().__init__(output_dir, prefix, ".jsonl", write_jsonl, key=key, **kwargs)
