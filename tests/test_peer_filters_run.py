"""``curation run`` on the sample with the peer filters on: URL blocklist, FineWeb rules, PII, decontamination."""
from __future__ import annotations

import json

import pyarrow.parquet as pq

from pipelines.cli import main

# In the sample pages (News from Nowhere, ch. 14): a benchmark that quotes it contaminates them.
QUOTE = ("What kind of a government have you? Has republicanism finally triumphed? or have you come to a mere "
         "dictatorship, which some persons in the nineteenth century used to prophesy")


def test_run_with_peer_filters(tmp_path, repo_root):
    (tmp_path / "blocked-domains.txt").write_text("slowpress.example\n")
    (tmp_path / "eval.jsonl").write_text(json.dumps({"id": "nowhere-9", "passage": QUOTE, "question": "?"}) + "\n")
    config = tmp_path / "run.yaml"
    config.write_text(f"""
sources:
  - {{name: web, kind: crawl, inputs: ["{repo_root}/sample/warc/*.warc.gz"], weight: 1.0}}
filters:
  enabled: true
  url_filter: {{enabled: true, domain_lists: [blocked-domains.txt], banned_words: [casino]}}
  fineweb: {{enabled: true}}
  pii: {{enabled: true}}
  decontaminate: {{enabled: true, eval_sets: [eval.jsonl], report: {tmp_path}/out/decontamination}}
dedup: {{enabled: false}}
tokenizer: {{train: {{algorithm: bpe, vocab_size: 512}}}}
shards: {{total_tokens: 4000, seq_len: 128, rows_per_shard: 64}}
validate: {{enabled: false}}
""")
    out = tmp_path / "out"
    assert main(["run", str(config), "--output", str(out)]) == 0
    run = json.loads((out / "run.json").read_text())
    rows = {row["step"]: row for row in run["funnel"] if row["source"] == "web"}
    assert all(row["balanced"] for row in run["funnel"])
    steps = [row["step"] for row in run["funnel"] if row["source"] == "web"]
    for step in ("url_filter", "fineweb", "pii", "decontaminate"):
        assert step in steps, steps
    assert steps.index("url_dedup") < steps.index("url_filter") < steps.index("fineweb") < steps.index("c4")
    assert steps.index("badwords") < steps.index("pii") < steps.index("decontaminate")
    assert rows["url_filter"]["dropped"]["domain"] >= 30  # www. and mirror hosts of the blocked site
    assert rows["decontaminate"]["dropped"]["contaminated"] >= 1
    stats = json.loads((out / "filter" / "web" / "stats.json").read_text())["counters"]
    assert stats["url_filter"]["blocked:blocked-domains.txt"] == rows["url_filter"]["dropped"]["domain"]
    assert stats["decontaminate"]["item:nowhere-9"] >= 1
    report = [json.loads(line) for p in (out / "decontamination").glob("*.jsonl") for line in p.read_text().splitlines()]
    assert report and all(r["items"] == ["nowhere-9"] for r in report)
    docs = pq.read_table(out / "filter" / "web" / "documents").to_pylist()
    assert docs and not any("slowpress.example" in d["url"] for d in docs)
    assert not any("Has republicanism finally triumphed" in d["text"] for d in docs)
    html = (out / "report.html").read_text()
    assert "url_filter" in html and "decontaminate" in html
