"""Deterministic sharded writers whose memory does not grow with the data.

Beam's file sinks name and fill shards in whatever order bundles finish, so two
runs of the same job differ. Here every record's key is hashed (64 bits); shard ``i``
of ``N`` holds the records whose hash falls in the ``i``-th of ``N`` equal ranges, ordered
by ``(hash, key)`` (equal keys by content): the same input gives byte-identical files on
any runner and any number of workers. ``N`` is derived from the record count, so shards
stay near ``records_per_shard``.

No shard is ever held in memory: records are spilled in sorted runs as they arrive
(:mod:`pipelines.spill`), and each shard is written by merging its hash range out of
every run, streaming.
"""
from __future__ import annotations

import itertools
import json
from typing import Any, Callable, Iterable, Iterator

import apache_beam as beam

from curation.io import docfiles
from curation.io.paths import join
from curation.io.sorted_runs import merge_runs
from pipelines.spill import DONE_TAG, RemoveWhenDone, SpilledPartitions, as_tuple, each_part, manifest_runs, spill_directory

SUFFIX = {"parquet": ".parquet", "jsonl": ".jsonl", "jsonl.gz": ".jsonl.gz"}


def shard_name(prefix: str, index: int, count: int, suffix: str) -> str:
    return f"{prefix}-{index:05d}-of-{count:05d}{suffix}"


def shard_records(runs: list[dict[str, Any]], index: int, count: int) -> Iterator[dict[str, Any]]:
    """The records of shard ``index`` of ``count``, in file order, streamed out of the runs."""
    merged = merge_runs(runs, index, count)
    for _, group in itertools.groupby(merged, key=lambda item: (item[0], item[1])):
        records = [item[2] for item in group]
        if len(records) > 1:  # equal keys: break ties by content
            records.sort(key=lambda r: json.dumps(r, sort_keys=True, default=str))
        yield from records


class _Counted:
    def __init__(self, items: Iterable[Any]):
        self.items, self.count = items, 0

    def __iter__(self):
        for item in self.items:
            self.count += 1
            yield item


class WriteSharded(beam.PTransform):
    """Write dict records to ``output_dir/prefix-IIIII-of-NNNNN.suffix`` (see the module doc).

    Apply it to a PCollection or a tuple of them. Returns a PCollection of
    ``{"path", "records", "bytes"}`` per written shard; an empty
    input still gets one (empty) shard, so the next stage finds its input.
    ``write_fn(path, records)`` writes one shard from an iterable and returns its byte size.
    """

    def __init__(self, output_dir: str, prefix: str, suffix: str,
                 write_fn: Callable[[str, Iterable[dict[str, Any]]], int],
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
        parts = as_tuple(records)  # one PCollection or a tuple of them (no Flatten: see pipelines.spill)
        directory = spill_directory(parts[0].pipeline)

        def write(shard):
            index, count, manifest = shard
            runs = manifest_runs(manifest)
            path = join(self.output_dir, shard_name(self.prefix, index, count, self.suffix))
            rows = _Counted(shard_records(runs, index, count))
            size = self.write_fn(path, rows)
            yield {"path": path, "records": rows.count, "bytes": size}
            yield beam.pvalue.TaggedOutput(DONE_TAG, index)

        keyed = each_part(parts, "KeyRecords", lambda: beam.Map(lambda record: (str(record[key]), record)))
        shards = keyed | "Spilled" >> SpilledPartitions(directory, self.records_per_shard, self.max_shards,
                                                        at_least_one=True)
        written = shards | "WriteShard" >> beam.ParDo(write).with_outputs(DONE_TAG, main="infos")
        written[DONE_TAG] | "Cleanup" >> RemoveWhenDone(directory)
        return written.infos


class WriteDocuments(WriteSharded):
    """Documents as ``part-*.parquet`` (default) or ``part-*.jsonl.gz``."""

    def __init__(self, output_dir: str, fmt: str = "parquet", prefix: str = "part", **kwargs: Any):
        if fmt not in SUFFIX:
            raise ValueError(f"unknown document format {fmt!r}; choose one of {sorted(SUFFIX)}")
        super().__init__(output_dir, prefix, SUFFIX[fmt],
                         lambda path, docs: docfiles.write_documents(path, docs, fmt), **kwargs)


def write_jsonl(path: str, records: Iterable[dict[str, Any]]) -> int:
    lines = (json.dumps(r, sort_keys=True, ensure_ascii=False, default=str) + "\n" for r in records)
    return docfiles.write_lines(path, lines)


class WriteRecords(WriteSharded):
    """Any JSON-able records (errors, duplicate pairs) as sorted JSONL shards."""

    def __init__(self, output_dir: str, prefix: str, key: str, **kwargs: Any):
        super().__init__(output_dir, prefix, ".jsonl", write_jsonl, key=key, **kwargs)
