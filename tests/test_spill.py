"""Sorted spill runs and the transforms built on them: same results as an in-memory group/sort,
whatever the run sizes; the writer's files do not depend on how records were spilled."""
from __future__ import annotations

import random

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.util import assert_that, equal_to

from curation.document import new_document
from curation.io import sorted_runs
from curation.io.sorted_runs import RunWriter, group_runs, key_hash, merge_runs, partition_of
from pipelines import spill
from pipelines.options import make_options
from pipelines.write import WriteDocuments


def spilled(tmp_path, pairs, budget):
    writer = RunWriter(str(tmp_path), budget_bytes=budget, block_bytes=64)
    runs = [run for key, value in pairs if (run := writer.add(key, value)) is not None]
    last = writer.flush()
    return runs + ([last] if last else [])


@pytest.mark.parametrize("partitions", [1, 3])
def test_merge_of_many_small_runs_is_one_sorted_stream_per_partition(tmp_path, partitions):
    rng = random.Random(7)
    pairs = [(f"k{rng.randrange(300)}", i) for i in range(2000)]
    runs = spilled(tmp_path, pairs, budget=2000)
    assert len(runs) > 5 and all(len(run["blocks"]) > 1 for run in runs)
    streamed = [item for part in range(partitions) for item in merge_runs(runs, part, partitions)]
    assert [(h, k) for h, k, _ in streamed] == sorted((key_hash(k), k) for k, _ in pairs)
    for part in range(partitions):
        assert all(partition_of(h, partitions) == part for h, _, _ in merge_runs(runs, part, partitions))
    groups = {key: sorted(values) for part in range(partitions) for key, values in group_runs(runs, part, partitions)}
    expected: dict[str, list[int]] = {}
    for key, value in pairs:
        expected.setdefault(key, []).append(value)
    assert groups == expected


def run_pipeline(build, *args):
    with beam.Pipeline(options=make_options(list(args))) as pipeline:
        build(pipeline)


def test_external_combine_per_key_matches_beams_with_few_keys_in_memory():
    """A hot key and many cold ones; at most 7 keys per bundle in memory: the same as CombinePerKey."""
    pairs = [("hot", i) for i in range(300)] + [(f"k{i % 50}", i) for i in range(400)]
    values: dict[str, list[int]] = {}
    for key, value in pairs:
        values.setdefault(key, []).append(value)
    expected = sorted((key, sum(vs) / len(vs)) for key, vs in values.items())

    with beam.Pipeline(options=make_options([])) as p:
        items = p | beam.Create(pairs)
        ours = items | "Ours" >> spill.ExternalCombinePerKey(beam.combiners.MeanCombineFn(), max_keys=7,
                                                             budget_bytes=300)
        assert_that(ours, equal_to(expected))


def test_run_partitions_are_those_its_blocks_overlap(tmp_path):
    runs = spilled(tmp_path, [(f"k{i}", i) for i in range(400)], budget=1 << 20)
    (run,) = runs
    assert sorted_runs.run_partitions(run, 1) == [0]
    assert sorted_runs.run_partitions(run, 5) == [0, 1, 2, 3, 4]
    one_block = dict(run, blocks=run["blocks"][:1])
    first, last = one_block["blocks"][0][:2]
    assert sorted_runs.run_partitions(one_block, 64) == list(range(partition_of(first, 64), partition_of(last, 64) + 1))
    for part in range(64):  # a partition the run does not reach reads nothing of it
        if part not in sorted_runs.run_partitions(one_block, 64):
            assert not list(sorted_runs.read_run(one_block, part, 64))


@pytest.mark.parametrize("mode", ["in_memory", "multi_threading", "partitions_follow_data"])
def test_external_group_and_cogroup_match_beams(monkeypatch, mode):
    """One shuffle with a fixed partition count per worker (local runner, 1 or 3 workers), or
    two with a count that follows the data (other runners)."""
    monkeypatch.setattr(sorted_runs, "DEFAULT_BLOCK_BYTES", 100)
    if mode == "partitions_follow_data":
        monkeypatch.setattr(spill, "local_partitions", lambda pipeline: None)
    flags = ["--direct_running_mode=multi_threading", "--direct_num_workers=3"] if mode == "multi_threading" else \
        ["--direct_running_mode=in_memory"]
    left = [(f"k{i % 37}", i) for i in range(500)]
    right = [(f"k{i % 11}", -i) for i in range(60)]

    def build(p):
        a = p | "A" >> beam.Create(left)
        b = p | "B" >> beam.Create(right)
        grouped = (a | spill.ExternalGroupByKey(budget_bytes=500)
                   | "SortG" >> beam.MapTuple(lambda k, vs: (k, sorted(vs))))
        expected = {}
        for k, v in left:
            expected.setdefault(k, []).append(v)
        assert_that(grouped, equal_to(sorted(expected.items())), label="group")
        joined = ({"a": a, "b": (b, p | "C" >> beam.Create([("k0", 99)]))} | spill.ExternalCoGroupByKey()
                  | "SortJ" >> beam.MapTuple(lambda k, g: (k, sorted(g["a"]), sorted(g["b"]))))
        want = {}
        for k, v in left:
            want.setdefault(k, ([], []))[0].append(v)
        for k, v in right + [("k0", 99)]:
            want.setdefault(k, ([], []))[1].append(v)
        assert_that(joined, equal_to([(k, sorted(x), sorted(y)) for k, (x, y) in want.items()]), label="join")

    run_pipeline(build, *flags)


def test_written_shards_do_not_depend_on_run_sizes(tmp_path, monkeypatch):
    docs = [new_document(f"text {i % 50} " * 20, url=f"http://x/{i % 90}") for i in range(400)]
    docs += docs[:5]  # the same id twice: ties broken by content

    def write(out, budget):
        monkeypatch.setattr(spill, "DEFAULT_BUDGET_BYTES", budget)
        monkeypatch.setattr(sorted_runs, "DEFAULT_BLOCK_BYTES", max(64, budget // 8))
        run_pipeline(lambda p: p | beam.Create(docs) | WriteDocuments(str(out), records_per_shard=150),
                     f"--temp_location={tmp_path / 'spill'}")
        return {f.name: f.read_bytes() for f in sorted(out.iterdir())}

    one_run = write(tmp_path / "a", 1 << 30)
    many_runs = write(tmp_path / "b", 3000)
    assert one_run == many_runs and len(one_run) == 3
    rows = [r for name in sorted(one_run) for r in pq.read_table(tmp_path / "a" / name).to_pylist()]
    assert len(rows) == len(docs)
    assert [key_hash(r["id"]) for r in rows] == sorted(key_hash(r["id"]) for r in rows)
    assert (tmp_path / "spill").is_dir() and not list((tmp_path / "spill").glob("**/*.bin"))  # cleaned up


def test_tuple_inputs_empty_inputs_and_key_kinds(tmp_path):
    """A writer fed a tuple of PCollections writes what one Flatten would; an empty input still
    gets its one empty shard, while an empty grouping gives nothing; bytes and tuple keys (exact
    dedup's text hashes, the dedup graph's vertices) group like Beam's; nothing is left in the
    spill directory, manifests included."""
    docs = [new_document(f"text {i}", url=f"http://x/{i}") for i in range(120)]
    spill_dir = tmp_path / "spill"

    def build(p):
        first = p | "First" >> beam.Create(docs[:70])
        second = p | "Second" >> beam.Create(docs[70:])
        (first, second) | "Both" >> WriteDocuments(str(tmp_path / "both"), records_per_shard=50)
        (p | "All" >> beam.Create(docs)) | "One" >> WriteDocuments(str(tmp_path / "one"), records_per_shard=50)
        nothing = p | "Nothing" >> beam.Create([])
        nothing | "Empty" >> WriteDocuments(str(tmp_path / "empty"))
        assert_that(nothing | "GroupNothing" >> spill.ExternalGroupByKey(), equal_to([]), label="no groups")
        pairs = [(b"\x00\xff" * (i % 3), i) for i in range(30)] + [((True, -0.5, f"id{i % 4}"), i) for i in range(30)]
        bytes_keys = p | "Bytes" >> beam.Create(pairs[:30])
        tuple_keys = p | "Tuples" >> beam.Create(pairs[30:])
        for label, part in (("bytes", bytes_keys), ("tuples", tuple_keys)):
            want: dict = {}
            for key, value in (pairs[:30] if label == "bytes" else pairs[30:]):
                want.setdefault(key, []).append(value)
            got = (part | f"Group{label}" >> spill.ExternalGroupByKey(budget_bytes=200)
                   | f"Sort{label}" >> beam.MapTuple(lambda k, vs: (k, sorted(vs))))
            assert_that(got, equal_to(list(want.items())), label=label)

    run_pipeline(build, f"--temp_location={spill_dir}")
    read = lambda name: {f.name: f.read_bytes() for f in sorted((tmp_path / name).iterdir())}  # noqa: E731
    assert read("both") == read("one") and len(read("one")) == 3
    assert [f.name for f in (tmp_path / "empty").iterdir()] == ["part-00000-of-00001.parquet"]
    assert pq.read_table(tmp_path / "empty" / "part-00000-of-00001.parquet").num_rows == 0
    assert [p for p in spill_dir.rglob("*") if p.is_file()] == []


def test_items_sharing_objects_read_back_equal(tmp_path):
    """Each item is its own pickle (a merge holds blocks as bytes): objects shared between and
    within items (an id that is also the key) come back equal."""
    shared = "doc-1"
    doc = {"id": shared, "url": shared, "text": "x" * 50}
    pairs = [(shared, doc), (shared, doc), ("doc-2", {"id": "doc-2", "same": doc})] * 20
    runs = spilled(tmp_path, pairs, budget=1 << 20)
    assert [(k, v) for _, k, v in merge_runs(runs)] == sorted(pairs, key=lambda kv: (key_hash(kv[0]), kv[0]))


def _tag(value):
    return value[0]


def test_a_hot_key_streams_in_value_order_when_lazy(tmp_path):
    """group_runs(order=, lazy=True), as exact dedup uses it: a key's values sorted by ``order``
    across every run (the one tag-0 value was added last, so it sits in the last run written), and its
    ~20 MB of values read one block per run at a time, never held as a list."""
    import tracemalloc

    pairs = [("cold", (1, "c"))] + [("hot", (1, f"{i:06d}" + "x" * 1000)) for i in range(20_000)] + [("hot", (0, "best"))]
    writer = RunWriter(str(tmp_path), budget_bytes=256 << 10, block_bytes=16 << 10, order=_tag)
    runs = [run for key, value in pairs if (run := writer.add(key, value)) is not None] + [writer.flush()]
    assert len(runs) > 50

    listed = dict(group_runs(runs, order=_tag))
    assert listed["hot"][0] == (0, "best") and sorted(v[1][:6] for v in listed["hot"][1:]) == [f"{i:06d}" for i in range(20_000)]
    del listed

    tracemalloc.start()
    seen = {}
    for key, values in group_runs(runs, order=_tag, lazy=True):
        assert not isinstance(values, list)
        first = next(values)
        seen[key] = (first, 1 + sum(1 for _ in values))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seen == {"hot": ((0, "best"), 20_001), "cold": ((1, "c"), 1)}
    assert peak < 5 << 20, peak  # the values are 20 MB; one 16 KB block per run is in memory
