"""Arrow's buffers come from the C allocator unless the user chose another.

pyarrow's default pool (jemalloc) keeps freed memory in per-thread arenas and decays it slowly,
so reading Parquet batch by batch held ~60 MB more than the same reads through ``malloc``
(the documents of a 1 GB WARC, one row group at a time: 170 vs 108 MB peak RSS, reading ~15%
slower), on top of a Beam worker's own ~250 MB. Our reads and writes are streaming and
single-threaded per bundle, where the allocator's speed shows little; a worker's memory is what
limits how many files it can hold in flight. ``ARROW_DEFAULT_MEMORY_POOL`` still wins when set.
"""
from __future__ import annotations

import os

import pyarrow as pa


def use_system_allocator() -> None:
    """Make the C allocator Arrow's default pool, unless ``ARROW_DEFAULT_MEMORY_POOL`` is set."""
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        pa.set_memory_pool(pa.system_memory_pool())
