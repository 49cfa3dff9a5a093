"""``curation dedup`` / ``pipelines.dedup.NearDedup`` end to end on corpora with planted near-duplicates."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from curation.document import new_document
from filters.minhash import word_shingles
from pipelines.cli import main
from tests.dedup_fixtures import CorpusMaker, exact_jaccard, make_family_corpus, true_removed

# Planted copies either clearly above 0.8 or clearly below, so that LSH misses (P < 0.6%
# above 0.86 for 16x8 bands) cannot change the answer; near misses test verification.
CLEAR = (0.7, 0.86)


def write_jsonl(path: Path, docs: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


def read_ids(directory: Path) -> list[str]:
    if not directory.exists():
        return []
    return pq.read_table(directory).column("id").to_pylist()


def run_dedup(input_path: Path, out: Path, *extra: str) -> dict:
    assert main(["dedup", "--input", str(input_path), "--output", str(out), *extra]) == 0
    return json.loads((out / "stats.json").read_text())["counters"]["dedup"]


def clear_cut_corpus(families: int, seed: int) -> tuple[list[dict], dict[str, int]]:
    """Family corpus without copies whose similarity to a relative lies in ``CLEAR``."""
    docs, family_of = make_family_corpus(families, copies=(1, 3), seed=seed)
    sets = {d["id"]: set(word_shingles(d["text"])) for d in docs}
    ambiguous = set()
    for a in docs:
        for b in docs:
            if a["id"] < b["id"] and family_of[a["id"]] == family_of[b["id"]]:
                if CLEAR[0] <= exact_jaccard(sets[a["id"]], sets[b["id"]]) < CLEAR[1]:
                    ambiguous.add(max(a["id"], b["id"]))
    docs = [d for d in docs if d["id"] not in ambiguous]
    return docs, {d["id"]: family_of[d["id"]] for d in docs}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    docs, family_of = clear_cut_corpus(70, seed=11)
    removed, edges = true_removed(docs, family_of)
    assert len(removed) > 40 and len(docs) > 140
    odd = [new_document("!!! ??? ...", url="https://x.example/empty", quality_score=0.5)]
    rows = docs + odd + [docs[0]]  # a record repeated under the same id
    path = write_jsonl(tmp_path_factory.mktemp("planted") / "docs.jsonl", rows)
    return {"docs": docs, "family_of": family_of, "removed": removed, "edges": edges, "path": path}


def test_removed_set_matches_exact_jaccard_ground_truth(planted, tmp_path):
    out = tmp_path / "out"
    # MinHash alone against its ground truth (the corpus has exact copies: tests/test_dedup_exact.py)
    counts = run_dedup(planted["path"], out, "--keep-duplicates", "--pairs", "--set", "exact.enabled=false")
    kept = pq.read_table(out / "documents").to_pylist()
    dups = pq.read_table(out / "duplicates").to_pylist()
    by_id = {d["id"]: d for d in planted["docs"]}
    near = {d["id"] for d in dups if d["dedup_cluster"] != d["id"]}
    assert near == planted["removed"]
    # counters: funnel holds; the empty-text doc is kept but not sketched; the repeated id is dropped
    assert counts["in"] == len(planted["docs"]) + 2
    assert counts["in"] == counts["out"] + counts["dropped:near_duplicate"] + counts["dropped:duplicate_id"]
    assert counts["dropped:duplicate_id"] == 1 and counts["no_shingles"] == 1
    assert counts["rejected_pairs"] > 0  # near misses shared buckets and were refused by exact Jaccard
    # fields: every duplicate points at a kept document of its family with the best quality score
    kept_ids = {d["id"] for d in kept}
    assert all(not d["duplicate"] for d in kept) and all(d["duplicate"] for d in dups)
    for d in dups:
        if d["id"] in near:
            keeper = by_id[d["dedup_cluster"]]
            assert keeper["id"] in kept_ids
            assert keeper["quality_score"] >= d["quality_score"]
            assert planted["family_of"][keeper["id"]] == planted["family_of"][d["id"]]
    sizes = {}
    for d in kept + dups:
        sizes.setdefault(d["dedup_cluster"], set()).add(d["id"])
    assert all(len(ids) == next(x for x in kept if x["id"] == c)["dedup_cluster_size"]
               for c, ids in sizes.items() if c in kept_ids and c != planted["docs"][0]["id"])
    pairs = [json.loads(line) for f in sorted((out / "pairs").glob("*.jsonl")) for line in f.read_text().splitlines()]
    truth = {(a, b) for a, b, _ in planted["edges"]}
    assert {(p["a"], p["b"]) for p in pairs} == truth and all(p["jaccard"] >= 0.8 for p in pairs)


def test_chain_across_buckets_collapses_to_one_kept_document(tmp_path):
    maker = CorpusMaker(seed=5)
    words = " ".join(maker.text(maker.base()) for _ in range(6)).split()
    assert len(words) > 320
    shift, length = 15, 200
    chain = [new_document(" ".join(words[k * shift: k * shift + length]), url=f"https://c.example/{k}",
                          quality_score=[0.2, 0.4, 0.9, 0.3, 0.1][k]) for k in range(5)]
    sets = [set(word_shingles(d["text"])) for d in chain]
    assert all(exact_jaccard(sets[k], sets[k + 1]) >= 0.8 for k in range(4))
    assert exact_jaccard(sets[0], sets[2]) < 0.8 and exact_jaccard(sets[0], sets[4]) < 0.6
    other = [new_document(maker.text(maker.base()), url=f"https://o.example/{k}") for k in range(5)]
    out = tmp_path / "out"
    counts = run_dedup(write_jsonl(tmp_path / "in" / "chain.jsonl", chain + other), out, "--keep-duplicates")
    kept = {d["id"]: d for d in pq.read_table(out / "documents").to_pylist()}
    dups = pq.read_table(out / "duplicates").to_pylist()
    assert chain[2]["id"] in kept and len(dups) == 4 and counts["clusters"] == 1
    assert {d["dedup_cluster"] for d in dups} == {chain[2]["id"]}
    assert kept[chain[2]["id"]]["dedup_cluster_size"] == 5
    assert all(kept[d["id"]]["dedup_cluster_size"] == 1 for d in other)


def test_identical_output_across_runs_and_worker_counts(planted, tmp_path):
    def files(out: Path) -> dict[str, bytes]:
        return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
                if p.is_file() and p.name != "stats.json"}

    first, second, multi = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    flags = ["--keep-duplicates", "--pairs", "--set", "batch_size=16"]
    run_dedup(planted["path"], first, *flags)
    run_dedup(planted["path"], second, *flags)
    run_dedup(planted["path"], multi, *flags, "--", "--direct_running_mode=multi_processing",
              "--direct_num_workers=2")
    assert files(first) and files(first) == files(second) == files(multi)


def test_incremental_run_checks_new_documents_against_the_index(tmp_path):
    maker = CorpusMaker(seed=9)
    old = [maker.base() for _ in range(20)]
    old_docs = [new_document(maker.text(d), url=f"https://old.example/{i}", quality_score=0.1)
                for i, d in enumerate(old)]
    fresh = [maker.base() for _ in range(5)]
    new_docs = (
        [new_document(maker.text(maker.perturb(old[i], "boilerplate", 0)), url=f"https://new.example/o{i}",
                      quality_score=0.99) for i in range(4)]  # copies of indexed docs: removed though better
        + [new_document(maker.text(d), url=f"https://new.example/f{i}", quality_score=0.5) for i, d in enumerate(fresh)]
        + [new_document(maker.text(maker.perturb(fresh[0], "truncate", 0.05)), url="https://new.example/copy",
                        quality_score=0.2)]
    )
    index = tmp_path / "index"
    first = run_dedup(write_jsonl(tmp_path / "old" / "docs.jsonl", old_docs), tmp_path / "out1", "--index", str(index))
    assert first["out"] == 20
    second = run_dedup(write_jsonl(tmp_path / "new" / "docs.jsonl", new_docs), tmp_path / "out2",
                       "--index", str(index), "--keep-duplicates")
    kept = set(read_ids(tmp_path / "out2" / "documents"))
    assert kept == {d["id"] for d in new_docs[4:9]}
    exact = json.loads((tmp_path / "out2" / "stats.json").read_text())["counters"]["dedup.exact"]
    # one of the five copies is exact: exact dedup removes it before MinHash
    assert second["index_matches"] == 4 and second["dropped:near_duplicate"] + exact["dropped:exact_duplicate"] == 5
    dups = {d["id"]: d for d in pq.read_table(tmp_path / "out2" / "duplicates").to_pylist()}
    assert {dups[d["id"]]["dedup_cluster"] for d in new_docs[:4]} == {d["id"] for d in old_docs[:4]}
    manifest = json.loads((index / "index.json").read_text())
    assert [g["documents"] for g in manifest["generations"]] == [20, 5]
    assert sorted(read_ids(index / "gen-00002")) == sorted(kept)
    # an index built with other settings is refused rather than silently never matching
    assert main(["dedup", "--input", str(tmp_path / "new"), "--output", str(tmp_path / "out3"),
                 "--index", str(index), "--num-perm", "64"]) == 2


def test_unverified_mode_and_oversized_buckets_use_star_edges(tmp_path):
    maker = CorpusMaker(seed=2)
    text = maker.text(maker.base())
    copies = [new_document(text + f" copy {chr(97 + k)}", url=f"https://m.example/{k}", quality_score=k / 10)
              for k in range(8)]
    singles = [new_document(maker.text(maker.base()), url=f"https://s.example/{k}") for k in range(4)]
    path = write_jsonl(tmp_path / "in" / "docs.jsonl", copies + singles)
    for flags in (["--set", "verify=false"], ["--set", "verify_max_bucket=3"]):
        out = tmp_path / flags[1].split("=")[0]
        counts = run_dedup(path, out, *flags)
        assert sorted(read_ids(out / "documents")) == sorted([copies[7]["id"]] + [d["id"] for d in singles])
        assert counts["trusted_pairs"] >= 7 and counts.get("verified_pairs", 0) == 0


def test_bad_config_is_a_clear_error(tmp_path, capsys):
    path = write_jsonl(tmp_path / "in" / "docs.jsonl", [new_document("a b c d e f")])
    assert main(["dedup", "--input", str(path), "--output", str(tmp_path / "o"), "--set", "bands=100"]) == 2
    assert "exceeds num_perm" in capsys.readouterr().err
