"""Token shards: mixture sampling, packing, Parquet shards, manifest and the training reader.

``ShardDataset`` (needs torch) is imported lazily so that the rest works without it.
"""
from __future__ import annotations

__all__ = ["ShardDataset", "ShardCorruptError"]


def __getattr__(name):
    if name == "ShardDataset":
        from curation.shards.dataset import ShardDataset

        return ShardDataset
    if name == "ShardCorruptError":
        from curation.shards.manifest import ShardCorruptError

        return ShardCorruptError
    raise AttributeError(name)
