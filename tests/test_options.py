"""The local runner's mode follows the job's input bytes (README, "Local runner mode")."""
from __future__ import annotations

from apache_beam.options.pipeline_options import DirectOptions

from pipelines.options import MULTI_PROCESS_MIN_BYTES, make_options


def mode(options) -> str:
    return options.view_as(DirectOptions).direct_running_mode


def test_small_inputs_run_in_one_process_large_ones_on_all_cores(tmp_path, monkeypatch):
    monkeypatch.delenv("CURATION_BEAM_MODE", raising=False)
    small, large = tmp_path / "small.warc.gz", tmp_path / "large.warc.gz"
    small.write_bytes(b"x" * 1000)
    with open(large, "wb") as fh:
        fh.truncate(MULTI_PROCESS_MIN_BYTES)  # sparse: the size is what counts
    assert mode(make_options([], [str(small)])) == "in_memory"
    assert mode(make_options([], [str(small), str(large)])) == "multi_processing"
    assert mode(make_options([], ["s3://bucket/unknown-size.warc.gz"])) == "multi_processing"
    assert mode(make_options([])) == "multi_processing"


def test_the_user_or_the_environment_wins(tmp_path, monkeypatch):
    small = tmp_path / "small.jsonl"
    small.write_text("{}\n")
    monkeypatch.delenv("CURATION_BEAM_MODE", raising=False)
    chosen = make_options(["--direct_running_mode=multi_processing"], [str(small)])
    assert mode(chosen) == "multi_processing"
    monkeypatch.setenv("CURATION_BEAM_MODE", "multi_threading")
    assert mode(make_options([], [str(small)])) == "multi_threading"
