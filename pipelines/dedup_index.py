"""The stored LSH index of a deduplicated corpus, for incremental runs.

Layout of an index directory::

    index.json                  settings fingerprint + one entry per generation
    gen-00001/part-*.parquet    id, quality_score, band_keys (list<int64>), shingles (binary)
    gen-00002/...               kept documents of the next incremental run

``shingles`` holds the document's sorted distinct uint32 shingle hashes (little
endian) so that candidates against old documents are verified exactly too. Every
run appends one generation; a run whose settings differ from the fingerprint is
refused (its band keys would never match).
"""
from __future__ import annotations

import json
from typing import Any, Iterable

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq

from curation.io.docfiles import batched, write_parquet_batches
from curation.io.parquet_batches import iter_batches
from curation.io.paths import exists, expand, join, open_read, open_write
from filters.dedup_config import DedupConfig
from pipelines.counters import CountingDoFn, counted
from pipelines.write import WriteSharded

MANIFEST = "index.json"
INDEX_SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("quality_score", pa.float64()),
    pa.field("band_keys", pa.list_(pa.int64())),
    pa.field("shingles", pa.binary()),
])


def read_manifest(index_dir: str) -> dict[str, Any] | None:
    path = join(index_dir, MANIFEST)
    if not exists(path):
        return None
    with open_read(path) as fh:
        return json.loads(fh.read().decode("utf-8"))


def check_manifest(index_dir: str, config: DedupConfig) -> dict[str, Any] | None:
    """The manifest of ``index_dir`` (``None`` when there is none yet); refuse mismatched settings."""
    manifest = read_manifest(index_dir)
    if manifest is not None and manifest["settings"] != config.index_fingerprint():
        raise ValueError(f"index {index_dir} was built with {manifest['settings']}, "
                         f"this run uses {config.index_fingerprint()}: use the same settings or a new index")
    return manifest


def index_files(index_dir: str, manifest: dict[str, Any]) -> list[str]:
    files: list[str] = []
    for gen in manifest["generations"]:
        if gen["documents"]:
            files.extend(expand(join(index_dir, gen["dir"], "*.parquet")))
    return files


def write_index_shard(path: str, rows: Iterable[dict[str, Any]]) -> int:
    return write_parquet_batches(path, (pa.Table.from_pylist(chunk, schema=INDEX_SCHEMA)
                                        for chunk in batched(rows, 4096)), INDEX_SCHEMA)



class _ReadIndexFile(CountingDoFn):
    def process(self, path: str):
        with open_read(path) as fh:
            for batch in iter_batches(pq.ParquetFile(fh), 4096):
                for row in batch.to_pylist():
                    self.counters("dedup").inc("index_documents")
                    yield row


class ReadIndex(beam.PTransform):
    """Rows of every generation of the index at ``index_dir`` (empty when there is no index yet)."""

    def __init__(self, index_dir: str, config: DedupConfig):
        super().__init__()
        manifest = check_manifest(index_dir, config)
        self.files = index_files(index_dir, manifest) if manifest else []

    def expand(self, pbegin):
        files = pbegin | "IndexFiles" >> beam.Create(self.files) | "SpreadIndexFiles" >> beam.Reshuffle()
        return counted(files, "ReadIndexFile", _ReadIndexFile())["main"]


class WriteIndex(beam.PTransform):
    """Append the kept documents' rows (``NearDedup(..., write_index=True)["index_rows"]``) as
    the next generation of ``index_dir`` and update ``index.json`` once the shards are written."""

    def __init__(self, index_dir: str, config: DedupConfig, records_per_shard: int = 200_000):
        super().__init__()
        self.index_dir = index_dir
        self.config = config
        manifest = check_manifest(index_dir, config) or {
            "settings": config.index_fingerprint(), "generations": []}
        self.manifest = manifest
        self.gen_dir = f"gen-{len(manifest['generations']) + 1:05d}"
        self.records_per_shard = records_per_shard

    def expand(self, rows):
        index_dir, manifest, gen_dir = self.index_dir, self.manifest, self.gen_dir

        def finish(shards: list[dict[str, Any]]) -> dict[str, Any]:
            generation = {"dir": gen_dir, "documents": sum(s["records"] for s in shards),
                          "files": len(shards)}
            updated = dict(manifest, generations=manifest["generations"] + [generation])
            with open_write(join(index_dir, MANIFEST)) as fh:
                fh.write((json.dumps(updated, indent=2, sort_keys=True) + "\n").encode())
            return generation

        return (
            rows
            | "WriteIndexShards" >> WriteSharded(join(index_dir, gen_dir), "part", ".parquet", write_index_shard,
                                                 records_per_shard=self.records_per_shard)
            | "AllShards" >> beam.combiners.ToList()
            | "WriteManifest" >> beam.Map(finish)
        )
