"""Packing strategies and mixture planning, without Beam or a tokenizer."""
from __future__ import annotations

import numpy as np
import pytest

from curation.shards.docblock import DocBlock
from curation.shards.mixture import (
    HIST_BUCKETS,
    MixtureConfig,
    MixtureSource,
    copy_key,
    partial_bucket,
    partial_histogram,
    plan_mixture,
    sample_copies,
)
from curation.shards.packing import PACKING_MODES, PackItem, pack, pack_layout
from curation.shards.rows import RowBlock
from curation.shards.writer import rows_to_table


def lognormal_items(n: int, seed: int = 0, mean: float = 5.5, sigma: float = 1.1) -> list[PackItem]:
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(mean, sigma, n).astype(int), 1, None)
    items, at = [], 0
    for i, length in enumerate(lengths):
        items.append(PackItem(np.arange(at, at + length, dtype=np.int32), f"s{i % 3}", f"d{i}"))
        at += length
    return items


def reassemble(rows) -> dict[str, np.ndarray]:
    pieces: dict[str, list] = {}
    for row in rows:
        for seg in row:
            pieces.setdefault(seg.doc_id, []).append((seg.offset, seg.tokens))
    return {k: np.concatenate([t for _, t in sorted(v, key=lambda p: p[0])]) for k, v in pieces.items()}


@pytest.mark.parametrize("seq_len", [64, 512])
def test_best_fit_never_cuts_short_documents_and_loses_nothing(seq_len):
    items = lognormal_items(3000)
    rows, stats = pack(items, seq_len, "best_fit")
    assert all(sum(len(s.tokens) for s in row) <= seq_len for row in rows)
    by_id = {it.doc_id: it for it in items}
    whole = reassemble(rows)
    for doc_id, item in by_id.items():
        assert np.array_equal(whole[doc_id], item.tokens)
        if len(item.tokens) <= seq_len:  # exactly one segment, never cut
            assert sum(1 for row in rows for s in row if s.doc_id == doc_id) == 1
    assert stats.truncated_docs == sum(len(it.tokens) > seq_len for it in items)
    assert stats.real_tokens == sum(len(it.tokens) for it in items)
    assert stats.padding_fraction < 0.01


def test_best_fit_is_best_fit():
    # 6 goes into the row with 4 free (after 6), not the one with 7 free (after 3): least room that fits
    items = [PackItem(np.zeros(n, np.int32), "s", f"d{i}") for i, n in enumerate([6, 3, 4])]
    rows, _ = pack(items, 10, "best_fit")
    assert sorted(sorted(len(s.tokens) for s in row) for row in rows) == [[3], [4, 6]]


def test_concat_and_pad():
    items = lognormal_items(500)
    rows, stats = pack(items, 128, "concat")
    assert all(sum(len(s.tokens) for s in row) == 128 for row in rows[:-1])
    whole = reassemble(rows)
    assert all(np.array_equal(whole[it.doc_id], it.tokens) for it in items)
    assert stats.pad_tokens < 128
    rows, stats = pack(items, 128, "pad")
    assert len(rows) == len(items) and all(len(row) == 1 for row in rows)
    assert stats.dropped_tokens == sum(max(0, len(it.tokens) - 128) for it in items)


def test_rows_to_table_masks_and_positions():
    items = [PackItem(np.array([5, 6, 7], np.int32), "a", "x"), PackItem(np.array([8, 9], np.int32), "b", "y")]
    rows, _ = pack(items, 8, "best_fit")
    table = rows_to_table(rows, 8, pad_id=0).to_pylist()
    assert table[0]["input_ids"] == [5, 6, 7, 8, 9, 0, 0, 0]
    assert table[0]["attention_mask"] == [1, 1, 1, 1, 1, 0, 0, 0]
    assert table[0]["segment_ids"] == [1, 1, 1, 2, 2, 0, 0, 0]
    assert table[0]["position_ids"] == [0, 1, 2, 0, 1, 0, 0, 0]
    assert table[0]["loss_mask"] == table[0]["attention_mask"]
    assert table[0]["segment_sources"] == ["a", "b"] and table[0]["segment_doc_ids"] == ["x", "y"]


def test_unknown_mode_is_an_error():
    with pytest.raises(ValueError, match="unknown packing mode"):
        pack([], 8, "zigzag")


def test_mixture_plan_hits_weights():
    rng = np.random.default_rng(1)
    sizes = {"web": 4000, "books": 300, "wiki": 200}
    docs = [(src, f"{src}-{i}", int(n)) for src, count in sizes.items()
            for i, n in enumerate(np.clip(rng.lognormal(5, 1, count), 2, 3000))]
    config = MixtureConfig(sources=[MixtureSource(name="web", paths=["x"], weight=0.6),
                                    MixtureSource(name="books", paths=["x"], weight=0.3),
                                    MixtureSource(name="wiki", paths=["x"], weight=0.1)],
                           total_tokens=400_000)
    plans = plan_mixture(config, docs)
    taken = {k: p.tokens_taken for k, p in plans.items()}
    total = sum(taken.values())
    for name, weight in config.weights().items():
        assert abs(taken[name] / total - weight) < 0.005
    assert plans["web"].epochs < 1 < plans["books"].epochs
    # the copies the plan selects add up to what it reports
    counted = {k: 0 for k in plans}
    for src, doc_id, n in docs:
        counted[src] += n * len(plans[src].epochs_of(config.seed, doc_id))
    assert counted == taken


def test_blocks_sample_the_same_copies_as_documents_one_by_one():
    """Histogram and copies of a block match the per-document rules (partial_bucket, epochs_of, copy_key)."""
    rng = np.random.default_rng(2)
    arrays = [rng.integers(0, 100, int(n)).astype(np.int32) for n in rng.integers(1, 50, 300)]
    ids = [f"d{i}" for i in range(len(arrays))]
    block = DocBlock.of("web", ids, arrays)
    config = MixtureConfig(sources=[MixtureSource(name="web", paths=["x"], weight=1)],
                           total_tokens=int(block.lengths.sum() * 2.4), seed=7)
    plan = plan_mixture(config, [("web", d, len(a)) for d, a in zip(ids, arrays)])["web"]
    hist = partial_histogram(7, "web", ids, block.lengths, plan.whole_epochs)
    want = np.zeros(HIST_BUCKETS, np.int64)
    for d, a in zip(ids, arrays):
        want[partial_bucket(7, "web", d, plan.whole_epochs)] += len(a)
    assert np.array_equal(hist, want)

    copies = sample_copies(block, plan, 7, buckets=3)
    got = sorted((d, int(e), int(k), b, tuple(t)) for b, c in copies.items()
                 for d, e, k, t in zip(c.doc_ids, c.epochs, c.keys.tolist(), c.token_views()))
    expected = sorted((d, e, copy_key(7, "web", d, e), copy_key(7, "web", d, e) % 3, tuple(a))
                      for d, a in zip(ids, arrays) for e in plan.epochs_of(7, d))
    assert got == expected and 2 <= max(e for _, e, *_ in got) <= 3


def test_content_order_breaks_ties_on_tokens():
    """Copies with the same key, doc id and epoch (a doc id repeated in a source) sort by their tokens."""
    block = DocBlock.of("web", ["b", "a", "a", "a"], [np.array([5], np.int32), np.array([9, 9], np.int32),
                                                      np.array([3], np.int32), np.array([1, 2], np.int32)])
    block.epochs, block.keys = np.array([0, 0, 0, 1]), np.array([1, 2, 2, 2], np.uint64)
    assert block.content_order() == [0, 2, 1, 3]
    block.keys = np.array([4, 3, 2, 1], np.uint64)
    assert block.content_order() == [3, 2, 1, 0]


@pytest.mark.parametrize("mode", PACKING_MODES)
def test_row_block_from_layout_is_the_rows_of_segments(mode):
    """The pipeline's path (a layout, tokens gathered at once) builds the same block as rows of segments."""
    items = [PackItem(i.tokens, "s", i.doc_id) for i in lognormal_items(300, seed=3)]
    rows, _ = pack(items, 64, mode)
    layout, _ = pack_layout(np.array([len(i.tokens) for i in items]), 64, mode)
    order = np.random.default_rng(0).permutation(layout.rows)
    want = RowBlock.from_rows([rows[r] for r in order])
    flat = np.concatenate([i.tokens for i in items])
    starts = np.cumsum([len(i.tokens) for i in items]) - [len(i.tokens) for i in items]
    got = RowBlock.from_layout(layout, flat, starts, "s", [i.doc_id for i in items], order)
    for name in ("tokens", "seg_lengths", "seg_rows", "seg_offsets"):
        assert np.array_equal(getattr(got, name), getattr(want, name)) and getattr(got, name).dtype == getattr(want, name).dtype
    assert (got.seg_sources, got.seg_doc_ids, got.num_rows) == (want.seg_sources, want.seg_doc_ids, want.num_rows)


def test_mixture_config_errors():
    with pytest.raises(ValueError):
        MixtureConfig(sources=[MixtureSource(name="a", paths=["x"], weight=1),
                               MixtureSource(name="a", paths=["y"], weight=1)], total_tokens=10)
    with pytest.raises(ValueError, match="no tokens"):
        plan_mixture(MixtureConfig(sources=[MixtureSource(name="a", paths="x", weight=1)], total_tokens=10), [])
