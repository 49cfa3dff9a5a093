"""``ShardDataset``: what a training job reads.

A torch ``IterableDataset`` over a shard directory. Samples have a global index
``0 .. N-1`` (shards in manifest order, rows in file order): the blend order of
:mod:`curation.shards.blend`, in which every contiguous range of rows is on the mixture
weights. So that each rank's stream stays on the weights too, rank ``r`` of ``W`` reads the
contiguous block ``[r * N // W, (r + 1) * N // W)`` (a strided split would alias with the
blend's period: with weights 0.5/0.5 and 2 ranks, one rank could get a single source). Its
DataLoader workers take the block's rows ``j`` with ``j % workers == worker``, so the rank
as a whole yields its block in order, whatever the number of workers. Every row is read
exactly once per pass. ``start`` is the number of samples consumed globally (``m`` per rank
on ``W`` ranks is ``start = m * W``); each rank skips as many rows of its block as the indices
``i < start`` with ``i % W == r`` would be, so resuming continues exactly.

Each shard is checked against the manifest's SHA-256 before its first row is
used; a mismatch raises :class:`ShardCorruptError` instead of training on
damaged data. Only the columns asked for are decoded, one row group at a time.
"""
from __future__ import annotations

import contextlib
from typing import Iterator, Sequence

import numpy as np
import pyarrow.parquet as pq
import torch
from torch.utils.data import IterableDataset, get_worker_info

from curation.io.paths import is_local, open_read
from curation.shards.manifest import ShardCorruptError, check_listing, open_verified_shard, read_manifest

TOKEN_COLUMNS = ("input_ids", "attention_mask", "segment_ids", "position_ids", "loss_mask")


def _distributed() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


class ShardDataset(IterableDataset):
    """Iterate a shard directory as dicts of ``torch.long`` tensors of shape ``[seq_len]``.

    Args:
        directory: the shard directory (with ``manifest.json``).
        rank, world_size: this process's place in a distributed job; default from
            ``torch.distributed`` when initialised, else 0 and 1.
        start: global sample index to resume from (samples before it are skipped).
        columns: which per-token columns to yield (default: all five).
        verify: check each shard's SHA-256 against the manifest before reading it.
        with_index: add ``"index"``, the sample's global index (a 0-d tensor).
    """

    def __init__(self, directory: str, rank: int | None = None, world_size: int | None = None,
                 start: int = 0, columns: Sequence[str] = TOKEN_COLUMNS, verify: bool = True,
                 with_index: bool = True):
        super().__init__()
        self.directory = str(directory)
        self.manifest = read_manifest(self.directory)
        if verify:
            check_listing(self.directory, self.manifest)  # no stale shard beside, none missing
        self.seq_len = int(self.manifest["seq_len"])
        unknown = set(columns) - set(TOKEN_COLUMNS)
        if unknown:
            raise ValueError(f"unknown columns {sorted(unknown)}; choose from {TOKEN_COLUMNS}")
        self.columns = tuple(columns)
        default_rank, default_world = _distributed()
        self.rank = default_rank if rank is None else rank
        self.world_size = default_world if world_size is None else world_size
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f"rank {self.rank} is outside world_size {self.world_size}")
        self.num_rows = sum(int(s["rows"]) for s in self.manifest["shards"])
        if not 0 <= start <= self.num_rows:
            raise ValueError(f"start {start} is outside 0..{self.num_rows}")
        self.start = start
        self.verify = verify
        self.with_index = with_index
        self._verified: set[str] = set()

    def _block(self) -> tuple[int, int]:
        """This rank's rows ``[first, end)`` after skipping what ``start`` says it consumed."""
        lo = self.rank * self.num_rows // self.world_size
        hi = (self.rank + 1) * self.num_rows // self.world_size
        skip = self.start // self.world_size + (1 if self.rank < self.start % self.world_size else 0)
        return min(hi, lo + skip), hi

    def __len__(self) -> int:
        """Samples this rank yields in one pass (over all of its DataLoader workers)."""
        first, end = self._block()
        return end - first

    def _worker(self) -> tuple[int, int]:
        info = get_worker_info()
        return (info.id, info.num_workers) if info is not None else (0, 1)

    @contextlib.contextmanager
    def _open(self, entry: dict) -> Iterator[pq.ParquetFile]:
        """The shard as Parquet; the first time, read through the handle its checksum was taken on."""
        path = f"{self.directory}/{entry['file']}"
        with contextlib.ExitStack() as stack:
            if self.verify and entry["file"] not in self._verified:
                source = stack.enter_context(open_verified_shard(self.directory, entry))
                self._verified.add(entry["file"])
            elif is_local(path):
                source = path
            else:  # through Beam's filesystems (Arrow's own would need its own credentials)
                source = stack.enter_context(open_read(path))
            try:
                parquet = pq.ParquetFile(source)
            except Exception as exc:  # pyarrow raises several types for a damaged footer
                raise ShardCorruptError(f"shard {path} cannot be read as Parquet: {exc}") from None
            if parquet.metadata.num_rows != int(entry["rows"]):
                raise ShardCorruptError(f"shard {path} has {parquet.metadata.num_rows} rows, "
                                        f"the manifest says {entry['rows']}")
            yield parquet

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        worker, workers = self._worker()
        first, end = self._block()
        first += worker
        lo = 0
        for entry in self.manifest["shards"]:
            hi = lo + int(entry["rows"])
            if first < min(hi, end) and first >= lo:
                yield from self._read(entry, lo, first, min(hi, end), workers)
                first += len(range(first, min(hi, end), workers)) * workers
            lo = hi
            if lo >= end:
                break

    def _read(self, entry: dict, lo: int, first: int, hi: int, step: int) -> Iterator[dict[str, torch.Tensor]]:
        with self._open(entry) as parquet:
            yield from self._read_groups(parquet, entry, lo, first, hi, step)

    def _read_groups(self, parquet: pq.ParquetFile, entry: dict, lo: int, first: int, hi: int,
                     step: int) -> Iterator[dict[str, torch.Tensor]]:
        group_lo = lo
        for g in range(parquet.metadata.num_row_groups):
            group_hi = group_lo + parquet.metadata.row_group(g).num_rows
            stop = min(group_hi, hi)
            wanted = np.arange(first, stop, step) if first < stop else np.empty(0, np.int64)
            wanted = wanted[wanted >= group_lo]
            if len(wanted):
                table = parquet.read_row_group(g, columns=list(self.columns))
                arrays = {}
                for name in self.columns:
                    flat = table.column(name).combine_chunks().flatten().to_numpy()
                    if flat.size != table.num_rows * self.seq_len:
                        raise ShardCorruptError(f"shard {entry['file']}: column {name} is not "
                                                f"{self.seq_len} tokens per row")
                    arrays[name] = flat.reshape(table.num_rows, self.seq_len)[wanted - group_lo]
                for k, index in enumerate(wanted):
                    sample = {name: torch.from_numpy(arrays[name][k].astype(np.int64)) for name in self.columns}
                    if self.with_index:
                        sample["index"] = torch.tensor(int(index))
                    yield sample
                first = int(wanted[-1]) + step
            group_lo = group_hi
            if group_lo >= hi:
                break
