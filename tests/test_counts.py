"""Counts as data: summed inside the pipeline, equal to Beam's own counters where a runner has them."""
from __future__ import annotations

import json

import apache_beam as beam

from filters.docs_config import DocsConfig
from pipelines.docs import build, resolve_inputs
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


def test_counting_dofns_are_applied_with_counted(repo_root):
    """A CountingDoFn under a plain ``beam.ParDo`` has no counts output: Beam drops its counts silently."""
    import ast

    trees = [(path, ast.parse(path.read_text())) for path in sorted((repo_root / "pipelines").rglob("*.py"))]
    counting = {"CountingDoFn"}
    grew = True
    while grew:  # subclasses of subclasses, across modules
        before = len(counting)
        counting |= {node.name for _, tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
                     and any(getattr(base, "id", getattr(base, "attr", None)) in counting for base in node.bases)}
        grew = len(counting) > before
    plain = [f"{path.name}:{node.lineno}" for path, tree in trees for node in ast.walk(tree)
             if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "ParDo" and node.args
             and isinstance(node.args[0], ast.Call)
             and getattr(node.args[0].func, "id", getattr(node.args[0].func, "attr", None)) in counting - {"CountingDoFn"}]
    assert len(counting) > 10 and not plain, plain
