"""Counts as data: summed inside the pipeline, equal to Beam's own counters where a runner has them."""
from __future__ import annotations

import json

import apache_beam as beam

from pipelines.docs import DocsConfig, build, resolve_inputs
from pipelines.metrics import attach_counts, collect_counters, read_counts
from pipelines.options import make_options


def test_pipeline_counts_equal_beam_counters(tmp_path, sample_dir, repo_root):
    from curation.config import read_yaml

    config = DocsConfig(inputs=[str(sample_dir / "warc")], filters=read_yaml(str(repo_root / "configs" / "c4.yaml"))["filters"])
    pipeline = beam.Pipeline(options=make_options([]))
    build(pipeline, config, str(tmp_path), resolve_inputs(config))
    attach_counts(pipeline, str(tmp_path / "counts.json"))
    result = pipeline.run()
    result.wait_until_finish()
    data = read_counts(str(tmp_path / "counts.json"))
    assert data == collect_counters(result)
    # every filter step reports, and every step's funnel balances
    assert {"ingest", "extract", "url_dedup", "c4", "c4_line_dedup", "langid", "badwords"} <= set(data)
    for namespace, values in data.items():
        if "in" in values:
            dropped = sum(v for k, v in values.items() if k.startswith("dropped:"))
            assert values["in"] == values["out"] + dropped, namespace
    assert json.loads((tmp_path / "counts.json").read_text()) == data
