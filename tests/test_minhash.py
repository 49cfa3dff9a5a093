"""MinHash signatures, LSH banding, the S-curve, the dedup config and cluster resolution (no Beam)."""
from __future__ import annotations

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

from curation.config import ConfigError, load_config
from filters.dedup_clusters import Node, UnionFind, clusters_from_edges, keep_rank
from filters.dedup_config import DedupConfig
from filters.minhash import (
    HASHFUNCS,
    MinHasher,
    band_keys,
    candidate_probability,
    jaccard,
    normalize_text,
    optimal_bands,
    word_shingles,
    xxh32_hash,
)
from tests.dedup_fixtures import CorpusMaker

TEXTS = [
    "",
    "Hello, World!",
    "Ünïcode café naïve — ﬁne ligatures and 2024-05-01 dates, repeated words words words.",
    "the quick brown fox jumps over the lazy dog " * 20,
]


@pytest.fixture(scope="module")
def prose() -> list[str]:
    maker = CorpusMaker(seed=3)
    return [maker.text(maker.base()) for _ in range(12)] + TEXTS


def datasketch_signature(text: str, num_perm: int, seed: int, hashfunc: str, per_token: bool = False):
    # datasketch's default hash (no hashfunc argument) is the "sha1" option.
    mh = MinHash(num_perm, seed) if hashfunc == "sha1" else MinHash(num_perm, seed, hashfunc=HASHFUNCS[hashfunc])
    shingles = word_shingles(text, 5)
    if per_token:
        for s in shingles:
            mh.update(s)
    else:
        mh.update_batch(shingles)
    return mh.hashvalues


@pytest.mark.parametrize("hashfunc", ["sha1", "xxh32", "word_xxh32"])
@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 42), (256, 7)])
def test_signatures_equal_datasketch(prose, hashfunc, num_perm, seed):
    ours = MinHasher(num_perm, seed, hashfunc=hashfunc).signature_of_texts(prose)
    assert ours.dtype == np.uint32 and ours.shape == (len(prose), num_perm)
    for row, text in zip(ours, prose):
        np.testing.assert_array_equal(row, datasketch_signature(text, num_perm, seed, hashfunc))
    # per-token update gives the same values as update_batch, hence as ours
    np.testing.assert_array_equal(ours[0], datasketch_signature(prose[0], num_perm, seed, hashfunc, per_token=True))


def test_signatures_do_not_depend_on_batching(prose):
    hasher = MinHasher(128, 1, hashfunc="word_xxh32", chunk_elems=128 * 50)  # forces many small chunks
    sets = [hasher.shingle_hashes(t) for t in prose]
    together = hasher.signatures(sets)
    alone = np.vstack([hasher.signatures([s]) for s in sets])
    np.testing.assert_array_equal(together, alone)
    assert (together[prose.index("")] == 0xFFFFFFFF).all()  # empty set: datasketch's empty sketch


def test_signatures_work_in_datasketch_lsh(prose):
    hasher = MinHasher(128, 1)
    near = prose[4] + " and one more sentence at the end"
    sigs = hasher.signature_of_texts(prose[4:10] + [near])
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    for i, sig in enumerate(sigs[:-1]):
        lsh.insert(f"d{i}", hasher.to_datasketch(sig))
    query = hasher.to_datasketch(sigs[-1])
    assert isinstance(query, LeanMinHash)
    assert lsh.query(query) == ["d0"]
    reference = MinHash(128, 1)
    reference.update_batch(word_shingles(near))
    assert query.jaccard(hasher.to_datasketch(sigs[0])) == reference.jaccard(hasher.to_datasketch(sigs[0]))


def test_shingles_normalise_and_handle_short_texts():
    assert normalize_text("Hello, WORLD! It's 2024.") == ["hello", "world", "it", "s", "0000"]
    assert word_shingles("One two three", 5) == [b"one two three"]
    assert word_shingles("  ,, ", 5) == []
    a = word_shingles("The cat sat on the mat today, the cat sat on the mat today.", 3)
    assert len(a) == len(set(a)) and a[0] == b"the cat sat"
    assert word_shingles("A b C d E f", 5) == word_shingles("a, b; c. d! e? f", 5)


def test_exact_jaccard_on_hash_sets():
    hasher = MinHasher()
    words = "alpha beta gamma delta epsilon zeta eta theta iota"
    a = hasher.shingle_hashes(words + " kappa")
    b = hasher.shingle_hashes(words + " lambda")
    assert jaccard(a, a) == 1.0
    assert jaccard(a, b) == pytest.approx(5 / 7)  # 6 shingles each, 5 shared


def test_band_keys_collide_exactly_when_bands_are_equal():
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2**32, size=(3, 128), dtype=np.uint32)
    sigs[1] = sigs[0]
    sigs[1, 8:16] += 1  # band 1 differs, every other band is equal
    keys = band_keys(sigs, 16, 8)
    assert keys.shape == (3, 16) and keys.dtype == np.int64
    assert (keys[0] == keys[1]).sum() == 15 and keys[0, 1] != keys[1, 1]
    assert not np.isin(keys[2], keys[0]).any()
    assert len(set(band_keys(np.zeros((1, 128), np.uint32), 16, 8)[0].tolist())) == 16  # band index folded in
    with pytest.raises(ValueError):
        band_keys(sigs, 16, 9)


def test_s_curve_and_optimal_bands():
    assert candidate_probability(0.8, 16, 8) == pytest.approx(1 - (1 - 0.8**8) ** 16)
    assert candidate_probability(0.8, 16, 8) > 0.94 and candidate_probability(0.5, 16, 8) < 0.07
    b, r = optimal_bands(0.8, 128)
    assert b * r <= 128
    assert candidate_probability(0.95, b, r) > 0.99 and candidate_probability(0.4, b, r) < 0.01
    b2, r2 = optimal_bands(0.8, 128, 0.2, 0.8)  # weighing misses more lowers the curve's midpoint
    assert (1 / b2) ** (1 / r2) < (1 / b) ** (1 / r)


def test_dedup_config_validation(tmp_path):
    assert DedupConfig().band_rows() == (16, 8)
    auto = DedupConfig(num_perm=64)  # 16x8 no longer fits: bands/rows are chosen for the threshold
    bands, rows = auto.band_rows()
    assert auto.bands is None and bands * rows <= 64
    with pytest.raises(ValueError):
        DedupConfig(num_perm=64, bands=16, rows=8)
    with pytest.raises(ValueError):
        DedupConfig(bands=16, rows=None)
    yaml_file = tmp_path / "dedup.yaml"
    yaml_file.write_text("dedup:\n  threshold: 0.7\n  hashfunc: xxh32\n")
    cfg = load_config(DedupConfig, yaml_file, ["bands=20", "rows=6"], section="dedup")
    assert (cfg.threshold, cfg.hashfunc, cfg.band_rows()) == (0.7, "xxh32", (20, 6))
    with pytest.raises(ConfigError, match="hashfnc"):
        load_config(DedupConfig, None, ["hashfnc=md5"])


def test_clusters_are_components_with_a_deterministic_keeper():
    n = {i: Node(i, q) for i, q in [("a", 0.1), ("b", 0.9), ("c", None), ("d", 0.5), ("e", 0.5), ("f", 0.2)]}
    edges = [(n["a"], n["b"]), (n["b"], n["c"]), (n["d"], n["e"]), (n["c"], n["a"])]
    forward = clusters_from_edges(edges)
    backward = clusters_from_edges(list(reversed([(y, x) for x, y in edges])))
    assert forward == backward
    by_id = {x.id: x for x in forward}
    assert {x.cluster for x in forward if x.id in "abc"} == {"b"} and by_id["b"].size == 3
    assert by_id["d"].cluster == "d" and by_id["e"].duplicate  # equal quality: lowest id wins
    assert [x.id for x in forward if not x.duplicate] == ["b", "d"]
    assert {x.cluster for x in clusters_from_edges(edges, "lowest_id")} == {"a", "d"}
    # an indexed (already published) document always wins
    assert keep_rank(Node("z", 0.0, True)) < keep_rank(Node("a", 1.0))


def test_union_find_partials_merge_like_one():
    rng = np.random.default_rng(1)
    nodes = [Node(f"n{i:03d}", float(rng.random())) for i in range(200)]
    edges = [(nodes[a], nodes[b]) for a, b in rng.integers(0, 200, size=(150, 2)) if a != b]
    whole = clusters_from_edges(edges)
    parts = [UnionFind() for _ in range(4)]
    for k, (a, b) in enumerate(edges):
        parts[k % 4].union(a, b)
    parts[3].merge(parts[1])
    parts[0].merge(parts[2])
    parts[0].merge(parts[3])
    assert sorted(parts[0].assignments()) == whole
    assert xxh32_hash(b"abc") == 852579327  # xxhash32 reference value of b"abc", seed 0
