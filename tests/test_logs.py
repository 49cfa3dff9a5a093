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
