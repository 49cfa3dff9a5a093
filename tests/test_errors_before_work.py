"""Issue 14, class 6: expected errors come before any work, in one line, exit 2; ``-v`` shows the traceback."""
from __future__ import annotations

import os

import pytest

from pipelines.cli import main


def sample_args(sample_dir, out) -> list[str]:
    return ["docs", "--input", str(sample_dir / "real" / "warcio-example.warc.gz"), "--output", str(out)]


CASES = {
    "output_is_a_file": (lambda t, s: (t / "taken").write_text("x") and sample_args(s, t / "taken"), "is a file"),
    "output_under_a_file": (lambda t, s: (t / "taken").write_text("x") and sample_args(s, t / "taken" / "sub"),
                            "is a file"),
    "unwritable_output": (lambda t, s: sample_args(s, "/proc/curation-out"), "not writable"),
    "bad_set_value": (lambda t, s: ["run", str(s.parent / "configs" / "sample.yaml"), "--output", str(t / "o"),
                                    "--set", "shards.seq_len=abc"], "seq_len"),
    "validate_device": (lambda t, s: ["run", str(s.parent / "configs" / "sample.yaml"), "--output", str(t / "o"),
                                      "--set", "validate.device=tpu9"], "device"),
    "vocab_below_bytes": (lambda t, s: ["tokenizer", "train", "--input", str(s / "reference" / "books.jsonl"),
                                        "--output", str(t / "tok"), "--vocab-size", "200"], "base alphabet"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_expected_error_is_one_line_before_work(tmp_path, sample_dir, capsys, case):
    build, message = CASES[case]
    if case == "unwritable_output" and not os.path.isdir("/proc"):
        pytest.skip("needs /proc")
    args = build(tmp_path, sample_dir)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert not (tmp_path / "o").exists() and not (tmp_path / "tok").exists()  # nothing was started


def test_verbose_shows_the_traceback(tmp_path, sample_dir, capsys):
    (tmp_path / "taken").write_text("x")
    assert main(["-v", *sample_args(sample_dir, tmp_path / "taken")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "is a file" in err.splitlines()[-1]
