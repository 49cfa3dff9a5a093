"""``ShardDataset``: what a training job reads.

A torch ``IterableDataset`` over a shard directory. Samples have a global index
``0 .. N-1`` (shards in manifest order, rows in file order; rows were already
shuffled globally by seed when the shards were written). Each consumer (one
DataLoader worker of one distributed rank) takes the indices ``i >= start`` with
``i % C == c``, where ``C = world_size * num_workers`` and ``c = worker_id * world_size +
rank`` (so a rank's workers together hold exactly the indices ``i % world_size == rank``,
whatever the number of workers): every row is read exactly once per pass, and
because each consumer walks its indices in order, a job that has consumed ``m``
samples on every consumer resumes exactly with ``start = m * C`` (the number of
samples consumed globally).

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

    def __len__(self) -> int:
        """Samples this rank yields in one pass (over all of its DataLoader workers)."""
        return len(range(self.start + self.rank, self.num_rows, self.world_size)) if self.start < self.num_rows else 0

    def _consumer(self) -> tuple[int, int]:
        info = get_worker_info()
        workers, worker = (info.num_workers, info.id) if info is not None else (1, 0)
        return worker * self.world_size + self.rank, self.world_size * workers

    @contextlib.contextmanager
    def _open(self, entry: dict) -> Iterator[pq.ParquetFile]:
        """The shard as Parquet; the first time, read through the handle its checksum was taken on."""
        path = f"{self.directory}/{entry['file']}"
        with contextlib.ExitStack() as stack:
            if self.verify and entry["file"] not in self._verified:
                source = stack.enter_context(open_verified_shard(self.directory, entry))
                self._verified.add(entry["file"])
            else:
                source = path
            try:
                parquet = pq.ParquetFile(source)
            except Exception as exc:  # pyarrow raises several types for a damaged footer
                raise ShardCorruptError(f"shard {path} cannot be read as Parquet: {exc}") from None
            if parquet.metadata.num_rows != int(entry["rows"]):
                raise ShardCorruptError(f"shard {path} has {parquet.metadata.num_rows} rows, "
                                        f"the manifest says {entry['rows']}")
            yield parquet

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        consumer, consumers = self._consumer()
        lo = 0
        for entry in self.manifest["shards"]:
            rows = int(entry["rows"])
            hi = lo + rows
            first = max(lo, self.start)
            first += (consumer - first) % consumers  # first wanted global index in this shard
            if first < hi:
                yield from self._read(entry, lo, first, hi, consumers)
            lo = hi

    def _read(self, entry: dict, lo: int, first: int, hi: int, step: int) -> Iterator[dict[str, torch.Tensor]]:
        with self._open(entry) as parquet:
            yield from self._read_groups(parquet, entry, lo, first, step)

    def _read_groups(self, parquet: pq.ParquetFile, entry: dict, lo: int, first: int,
                     step: int) -> Iterator[dict[str, torch.Tensor]]:
        group_lo = lo
        for g in range(parquet.metadata.num_row_groups):
            group_hi = group_lo + parquet.metadata.row_group(g).num_rows
            wanted = np.arange(first, group_hi, step) if first < group_hi else np.empty(0, np.int64)
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
