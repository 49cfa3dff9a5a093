"""Shared core of the toolkit: document schema, I/O, configuration, shards, proxy LM and CLI."""
import os

__version__ = "0.1.0"

# Arrow's C++ buffers (Parquet reading and writing, tables) from the C allocator, unless the user
# chose: the default pool of this pyarrow build (mimalloc) kept ~45 MB more of what it freed
# (the documents of a 64 MB WARC read and written again: 235 vs 192 MB peak RSS). Arrow reads
# the variable once, when it first needs its pool, so it is set before anything imports pyarrow
# (``curation`` is imported first by both entry points, and Beam's worker processes inherit it).
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
