"""Quiet by default: a stage prints its own lines and table, not Beam's worker logs; -v brings them back."""
from __future__ import annotations

import logging
import os
import subprocess
import sys

from pipelines.local_runner import QUIET_WORKER
from pipelines.logs import VERBOSE_ENV, configure_logging


def test_stage_output_has_no_beam_logs(tmp_path, sample_dir, repo_root):
    env = {k: v for k, v in os.environ.items() if k not in ("CURATION_BEAM_MODE", VERBOSE_ENV)}
    env["PYTHONPATH"] = str(repo_root)
    # the default multi-processing runner, one worker process: where the INFO lines came from
    result = subprocess.run([sys.executable, "-m", "curation", "docs", "--input", str(sample_dir / "warc"),
                             "--output", str(tmp_path / "out"), "--", "--direct_num_workers=1"],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr
    printed = (result.stdout + result.stderr).splitlines()
    assert any(line.startswith("extract.out") for line in printed)
    assert [line for line in printed if "INFO" in line or "WARN" in line] == []


def test_verbose_logs_at_info(monkeypatch):
    monkeypatch.delenv(VERBOSE_ENV, raising=False)
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging(None)
        assert root.handlers[0].level == logging.WARNING
        configure_logging(True)
        assert root.handlers[0].level == logging.INFO and os.environ[VERBOSE_ENV] == "1"
    finally:
        root.handlers[:], root.level = saved
        os.environ.pop(VERBOSE_ENV, None)
    assert QUIET_WORKER == "pipelines.beam_worker"


def test_stage_descriptors_hold_only_their_own_pcollections(monkeypatch):
    """The local runner sends each stage only the PCollections it reads or writes (Beam copies
    all of the pipeline's into every stage: memory grows with stages x PCollections)."""
    import apache_beam as beam
    from apache_beam.testing.util import assert_that, equal_to

    from pipelines import local_runner
    from pipelines.options import make_options

    seen = []
    pruned = local_runner._descriptor_with_own_pcollections

    def recording(self):
        descriptor = pruned(self)
        seen.append(descriptor)
        return descriptor

    monkeypatch.setattr(local_runner, "_descriptor_with_own_pcollections", recording)
    # the runner installs it on Beam's class; monkeypatch puts Beam's own back after the test
    monkeypatch.setattr(local_runner.execution.BundleContextManager, "_build_process_bundle_descriptor",
                        local_runner._beams_descriptor)
    with beam.Pipeline(options=make_options(["--direct_running_mode=in_memory"])) as p:
        grouped = (p | beam.Create([(i % 3, i) for i in range(30)]) | beam.GroupByKey()
                   | beam.MapTuple(lambda k, vs: (k, sum(vs))) | "Again" >> beam.GroupByKey()
                   | beam.MapTuple(lambda k, vs: (k, sorted(vs))))
        assert_that(grouped, equal_to([(0, [135]), (1, [145]), (2, [155])]))
    assert len(seen) >= 3
    for descriptor in seen:
        used = {c for t in descriptor.transforms.values() for c in (*t.inputs.values(), *t.outputs.values())}
        assert set(descriptor.pcollections) == used
