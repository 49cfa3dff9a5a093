"""Reading a Parquet file batch by batch with memory bounded by one row group.

``ParquetFile.iter_batches`` over a whole file (pyarrow 18-21, ``pre_buffer=True``, the default)
keeps the column data of every row group it has read until the iterator ends: reading the
documents of a 1 GB WARC (450k rows, 220 row groups) peaked at 477 MB of RSS against 158 MB
one row group at a time, and the reader was the peak of ``curation dedup`` at that size. So
every reader of a possibly large file goes through :func:`iter_batches`, which asks for one
row group at a time (each still pre-buffered: one coalesced read per row group, which object
storage wants). A file with a huge row group still holds that row group while it is read.
"""
from __future__ import annotations

from typing import Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq


def iter_batches(parquet: pq.ParquetFile, batch_size: int = 1024,
                 columns: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
    """The record batches of ``parquet`` in file order, at most ``batch_size`` rows each."""
    for group in range(parquet.num_row_groups):
        yield from parquet.iter_batches(batch_size=batch_size, columns=columns, row_groups=[group])
