"""Group-by and co-group-by through sorted spill files, so a worker's memory stays flat.

Beam's local runner keeps a whole PCollection in memory wherever it crosses a fusion
break; with documents that is ~10-35 MB of RSS per MB of WARC. :class:`ExternalGroupByKey`
is a drop-in ``GroupByKey`` whose data crosses the break as sorted run files
(:mod:`curation.io.sorted_runs`): each bundle spills its pairs in bounded runs, only the
runs' descriptions are collected, then every partition of the key hash space merges its
slice of all runs and emits one group at a time. The run files live under the pipeline's
``--temp_location`` (or the local temp directory), visible to every worker, and are
deleted once every partition has been merged.

Groups come out per key with values in no particular order, as from ``GroupByKey``;
the keys of one grouping must be of one sortable kind (``str``, ``bytes``, ``int``, or tuples
of them, as the dedup graph's vertices).
"""
from __future__ import annotations

import functools
import os
import pickle
import tempfile
import uuid
from typing import Any, Callable, Tuple

import apache_beam as beam
from apache_beam.options.pipeline_options import DirectOptions, GoogleCloudOptions
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MAX_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from curation.io.paths import join, open_read, open_write, remove_tree
from curation.io.sorted_runs import (
    DEFAULT_BUDGET_BYTES,
    RunWriter,
    group_runs,
    partition_count,
    run_partitions,
)

DONE_TAG = "done"
RECORDS_PER_PARTITION = 500_000  # records a merge partition gets on a cluster (the count follows the data)
# Declared output types: Beam otherwise infers each lambda's output type from its bytecode
# while the pipeline is built, a fixed cost that dozens of groupings multiply.
INT_KEYED = Tuple[int, Any]


def spill_directory(pipeline: beam.Pipeline) -> str:
    """A fresh directory for one transform's runs: under ``--temp_location`` when set."""
    root = pipeline.options.view_as(GoogleCloudOptions).temp_location if pipeline.options else None
    return join(root or tempfile.gettempdir(), f"curation-spill-{uuid.uuid4().hex}")


class SpillRuns(beam.DoFn):
    """``(key, value)`` pairs -> descriptions of the sorted run files they were spilled to."""

    def __init__(self, directory: str, budget_bytes: int | None = None, order: Callable[[Any], Any] | None = None):
        self.directory = directory
        self.budget_bytes = budget_bytes or DEFAULT_BUDGET_BYTES
        self.order = order

    def start_bundle(self):
        self.writer = RunWriter(self.directory, self.budget_bytes, order=self.order)

    def process(self, pair):
        run = self.writer.add(pair[0], pair[1])
        if run is not None:
            yield run

    def finish_bundle(self):
        run = self.writer.flush()
        if run is not None:
            yield WindowedValue(run, MAX_TIMESTAMP, (GlobalWindow(),))


class SpilledPartitions(beam.PTransform):
    """``(key, value)`` pairs -> one ``(partition, partitions, runs)`` element per partition
    (``runs``: a list of run descriptions or a manifest path, :func:`partition_runs` reads either).

    The input is one PCollection or a tuple of them: each is spilled where it is produced
    (a ``Flatten`` of several, on the local runner, would hold them all in memory).

    On the local runner the partition count is fixed when the pipeline is built
    (:func:`local_partitions`: one per worker), so each run description goes straight to
    the partitions its blocks overlap and one grouping by partition index follows: one shuffle.
    Elsewhere the count follows the data (about ``records_per_partition`` each, for a cluster's
    many workers): the run descriptions are gathered under one key and written once to a
    manifest file beside the runs; each partition's element names it, so no side input is
    needed and a job with thousands of runs and partitions does not copy the list into each;
    the partitions are then keyed by their index and grouped, which spreads the merging over
    workers. ``at_least_one`` (a writer, whose shard count follows the data everywhere): an
    empty input still gives partition 0 of 1 with no runs (the one empty shard); otherwise it
    gives no partition at all.

    Few transforms on purpose: a job unrolls dozens of these (connected components), and on
    the local runner each extra stage costs fixed CPU (``ToList``, ``Reshuffle`` and a side
    input cost ~0.17 s per grouping, against ~0.04 s with two shuffles) and ~0.4 MB of RSS.
    """

    def __init__(self, directory: str, records_per_partition: int, max_partitions: int = 10_000,
                 budget_bytes: int | None = None, at_least_one: bool = False,
                 order: Callable[[Any], Any] | None = None):
        super().__init__()
        self.order = order  # values of a key sorted by it in each run (merge with the same order)
        self.directory = directory
        self.records_per_partition = records_per_partition
        self.max_partitions = max_partitions
        self.budget_bytes = budget_bytes
        self.at_least_one = at_least_one

    def expand(self, pairs):
        spill = SpillRuns(self.directory, self.budget_bytes, self.order)
        spilled = [pcoll | f"Spill{i}" >> beam.ParDo(spill).with_output_types(Any)
                   for i, pcoll in enumerate(as_tuple(pairs))]
        fixed = None if self.at_least_one else local_partitions(spilled[0].pipeline)
        if fixed is not None:
            # One shuffle: each run goes straight to the partitions its blocks overlap.
            keyed = [runs | f"ToPartitions{i}" >> beam.FlatMap(
                lambda run: ((index, run) for index in run_partitions(run, fixed))).with_output_types(INT_KEYED)
                for i, runs in enumerate(spilled)]
            keyed = keyed[0] if len(keyed) == 1 else tuple(keyed) | "AllSpilled" >> beam.Flatten()
            return (keyed | "SpreadPartitions" >> beam.GroupByKey()
                    | "Partition" >> beam.Map(lambda kv: (kv[0], fixed, list(kv[1]))).with_output_types(Any))
        return self._gathered(spilled)

    def _gathered(self, spilled):
        per, most, directory = self.records_per_partition, self.max_partitions, self.directory

        def partitions(runs):
            runs = sorted(runs, key=lambda run: run["path"])
            count = partition_count(sum(run["records"] for run in runs), per, most)
            manifest = join(directory, f"manifest-{uuid.uuid4().hex}.pkl")
            with open_write(manifest) as fh:
                pickle.dump(runs, fh, protocol=pickle.HIGHEST_PROTOCOL)
            return [(index, (count, manifest)) for index in range(count)]

        runs = spilled[0] if len(spilled) == 1 else tuple(spilled) | "AllSpilled" >> beam.Flatten()
        if self.at_least_one:
            gathered = runs | "AllRuns" >> beam.combiners.ToList()
        else:
            gathered = (runs | "OneKey" >> beam.Map(lambda run: (0, run)).with_output_types(INT_KEYED)
                        | "GatherRuns" >> beam.GroupByKey()
                        | "AllRuns" >> beam.Map(lambda kv: kv[1]).with_output_types(Any))
        return (gathered | "Partitions" >> beam.FlatMap(partitions).with_output_types(INT_KEYED)
                | "SpreadPartitions" >> beam.GroupByKey()
                | "Partition" >> beam.Map(lambda kv: (kv[0], *next(iter(kv[1])))).with_output_types(Any))


def local_partitions(pipeline: beam.Pipeline) -> int | None:
    """A grouping's fixed partition count on Beam's ``FnApiRunner`` (our local runner): one per
    worker, so one in ``in_memory`` mode. None on any other runner, where the count follows the
    data (:class:`SpilledPartitions`)."""
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    if not isinstance(pipeline.runner, FnApiRunner):
        return None
    direct = pipeline.options.view_as(DirectOptions) if pipeline.options else DirectOptions([])
    if (direct.direct_running_mode or "in_memory") == "in_memory":
        return 1
    return direct.direct_num_workers or os.cpu_count() or 1


def partition_runs(runs) -> list[dict[str, Any]]:
    """The runs of a partition element: its own list, or those of the manifest it names."""
    return manifest_runs(runs) if isinstance(runs, str) else runs


@functools.lru_cache(maxsize=4)  # every partition of a grouping reads the same manifest
def manifest_runs(manifest: str) -> list[dict[str, Any]]:
    """The run descriptions a :class:`SpilledPartitions` element names."""
    with open_read(manifest) as fh:
        return pickle.load(fh)


def as_tuple(pcolls) -> tuple:
    return tuple(pcolls) if isinstance(pcolls, (tuple, list)) else (pcolls,)


def each_part(pcolls, label: str, make) -> tuple:
    """``make()`` (a new transform each time) applied to each PCollection of ``pcolls`` (one or a
    tuple): the tuple of results, for a grouping or writer that takes a tuple instead of a ``Flatten``."""
    return tuple(part | (label if i == 0 else f"{label}_{i}") >> make() for i, part in enumerate(as_tuple(pcolls)))


class RemoveWhenDone(beam.PTransform):
    """Delete ``directory`` once every element of the input (one per merged partition) exists."""

    def __init__(self, directory: str):
        super().__init__()
        self.directory = directory

    def expand(self, done):
        directory = self.directory
        return (done | "OneKey" >> beam.Map(lambda index: (0, index)).with_output_types(INT_KEYED)
                | "AllDone" >> beam.GroupByKey()
                | "RemoveRuns" >> beam.Map(lambda _: remove_tree(directory)).with_output_types(Any))


class _MergeGroups(beam.DoFn):
    def process(self, partition):
        index, count, runs = partition
        yield from group_runs(partition_runs(runs), index, count)
        yield beam.pvalue.TaggedOutput(DONE_TAG, index)


class ExternalGroupByKey(beam.PTransform):
    """``GroupByKey`` through sorted spill runs: ``(key, value)`` -> ``(key, [values])``.

    Apply it to one PCollection or to a tuple of them (grouped together, no ``Flatten``).

    ``directory``: where the runs go (default: a fresh one, :func:`spill_directory`).
    ``cleanup=False`` leaves them there, for a later grouping in the same directory that
    depends on this one's output to remove (its ``cleanup``): the removal waits for its own
    merges, and a grouping's input is complete only once every merge upstream has finished.
    Sharing one removal saves a stage per grouping (on the local runner ~0.9 MB of RSS and
    some fixed CPU each), which counts where dozens are unrolled.
    """

    def __init__(self, records_per_partition: int = RECORDS_PER_PARTITION, budget_bytes: int | None = None,
                 directory: str | None = None, cleanup: bool = True):
        super().__init__()
        self.records_per_partition = records_per_partition
        self.budget_bytes = budget_bytes
        self.directory = directory
        self.cleanup = cleanup

    def expand(self, pairs):
        directory = self.directory or spill_directory(as_tuple(pairs)[0].pipeline)
        partitions = pairs | "Spilled" >> SpilledPartitions(
            directory, self.records_per_partition, budget_bytes=self.budget_bytes)
        merged = partitions | "Merge" >> beam.ParDo(_MergeGroups()).with_output_types(Any).with_outputs(
            DONE_TAG, main="groups")
        if self.cleanup:
            merged[DONE_TAG] | "Cleanup" >> RemoveWhenDone(directory)
        return merged.groups


class ExternalCoGroupByKey(beam.PTransform):
    """``CoGroupByKey`` of a dict of keyed PCollections: ``(key, {tag: [values]})``.

    A tag may name a tuple of PCollections (their values are grouped under that tag).
    """

    def __init__(self, **kwargs: Any):
        super().__init__()
        self.kwargs = kwargs

    def expand(self, tagged: dict[str, Any]):
        tags = sorted(tagged)
        labelled = [pcoll | f"Tag[{tag}]{i}" >> beam.Map(lambda kv, tag=tag: (kv[0], (tag, kv[1])))
                    for tag, pcolls in sorted(tagged.items()) for i, pcoll in enumerate(as_tuple(pcolls))]

        def split(group):
            key, values = group
            joined: dict[str, list] = {tag: [] for tag in tags}
            for tag, value in values:
                joined[tag].append(value)
            return key, joined

        return (tuple(labelled) | "Group" >> ExternalGroupByKey(**self.kwargs)
                | "Split" >> beam.Map(split))


class _CombineInBundle(beam.DoFn):
    """Per bundle, ``(key, value)`` -> ``(key, accumulator)``, at most ``max_keys`` keys in memory."""

    def __init__(self, combine_fn: beam.CombineFn, max_keys: int):
        self.combine_fn, self.max_keys = combine_fn, max_keys

    def start_bundle(self):
        self.accumulators: dict = {}

    def process(self, pair):
        key, value = pair
        fn, accumulators = self.combine_fn, self.accumulators
        accumulators[key] = fn.add_input(accumulators[key] if key in accumulators else fn.create_accumulator(), value)
        if len(accumulators) >= self.max_keys:  # a key may come out again later: merged after the group
            yield from self._drain()

    def finish_bundle(self):
        for pair in self._drain():
            yield WindowedValue(pair, MAX_TIMESTAMP, (GlobalWindow(),))

    def _drain(self):
        pairs, self.accumulators = self.accumulators, {}
        return pairs.items()


class ExternalCombinePerKey(beam.PTransform):
    """``CombinePerKey`` whose state never holds every key: ``(key, value)`` -> ``(key, output)``.

    Beam's lifted combine keeps one accumulator per distinct key across the shuffle, in
    memory on the local runner (every distinct line of a crawl, for C4's line dedup). Here
    each bundle combines at most ``max_keys`` keys at a time, the accumulators go through
    :class:`ExternalGroupByKey` (sorted spill runs) and each key's few accumulators merge at the
    end, so a key on ten million pages is still a handful of accumulators, never a big group.
    """

    def __init__(self, combine_fn: beam.CombineFn, max_keys: int = 50_000, **kwargs: Any):
        super().__init__()
        self.combine_fn, self.max_keys, self.kwargs = combine_fn, max_keys, kwargs

    def expand(self, pairs):
        fn = self.combine_fn

        def merge(group):
            key, accumulators = group
            return key, fn.extract_output(fn.merge_accumulators(accumulators))

        return (pairs | "CombineInBundle" >> beam.ParDo(_CombineInBundle(fn, self.max_keys))
                | "Group" >> ExternalGroupByKey(**self.kwargs)
                | "Merge" >> beam.Map(merge))
