"""Tokenizer training through the CLI, every algorithm/backend pair, reloaded with tokenizer.load."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
import sentencepiece as spm
from tokenizers import Tokenizer

import tokenizer
from curation.io.docfiles import write_documents
from pipelines.cli import main
from tests.tokenizer_fixtures import ROUND_TRIP_TEXTS, corpus_documents, special_text_documents

# (backend, algorithm, vocab size): sentencepiece with byte fallback needs 256 byte pieces + characters
PAIRS = [("hf", "bpe", 600), ("hf", "wordpiece", 1000), ("hf", "unigram", 600),
         ("sentencepiece", "bpe", 1000), ("sentencepiece", "unigram", 1000)]
ROLE_IDS = {"pad": 0, "bos": 1, "eos": 2, "unk": 3, "mask": 4}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("tok-corpus")
    docs = corpus_documents()
    write_documents(str(root / "corpus.jsonl"), docs)
    write_documents(str(root / "corpus.parquet"), docs)
    return {"root": root, "docs": docs, "jsonl": str(root / "corpus.jsonl"), "parquet": str(root / "corpus.parquet")}


def _train(corpus_file: str, out, backend: str, algorithm: str, vocab: int, *extra: str) -> str:
    rc = main(["tokenizer", "train", "--input", corpus_file, "--output", str(out), "--backend", backend,
               "--algorithm", algorithm, "--vocab-size", str(vocab), "-q", *extra])
    assert rc == 0
    return str(out)


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory):
    root = tmp_path_factory.mktemp("tok-trained")
    return {(b, a): _train(corpus["parquet"], root / f"{b}-{a}", b, a, v) for b, a, v in PAIRS}


@pytest.mark.parametrize("backend,algorithm,vocab", PAIRS)
def test_special_ids_vocab_and_files(trained, backend, algorithm, vocab):
    out = trained[(backend, algorithm)]
    tok = tokenizer.load(out)
    assert tok.vocab_size == vocab
    assert (tok.pad_id, tok.bos_id, tok.eos_id, tok.unk_id, tok.mask_id) == (0, 1, 2, 3, 4)
    special = json.load(open(os.path.join(out, "special_tokens.json")))
    assert {role: entry["id"] for role, entry in special["roles"].items()} == ROLE_IDS
    assert {tok.roles[r]: i for r, i in ROLE_IDS.items()} == tok.special_tokens
    if algorithm == "wordpiece":
        assert tok.roles == {"pad": "[PAD]", "bos": "[CLS]", "eos": "[SEP]", "unk": "[UNK]", "mask": "[MASK]"}
    assert os.path.exists(os.path.join(out, "spm.model")) == (backend == "sentencepiece")
    report = json.load(open(os.path.join(out, "train_report.json")))
    assert report["sample"]["docs_sampled"] == report["sample"]["docs_seen"] > 300
    assert report["tokenizer_sha256"] == tok.sha256
    # loadable by tokenizers and transformers directly, same ids
    text = "The old man rowed us up the Thames, past Hammersmith."
    raw = Tokenizer.from_file(os.path.join(out, "tokenizer.json"))
    assert raw.encode(text, add_special_tokens=False).ids == tok.encode(text)
    transformers = pytest.importorskip("transformers")
    fast = transformers.PreTrainedTokenizerFast(tokenizer_file=os.path.join(out, "tokenizer.json"))
    assert fast.encode(text, add_special_tokens=False) == tok.encode(text)
    assert transformers.PreTrainedTokenizerFast.from_pretrained(out).pad_token_id == 0


@pytest.mark.parametrize("backend,algorithm,vocab", PAIRS)
def test_special_tokens_as_text_and_long_runs(tmp_path_factory, backend, algorithm, vocab):
    # Issue 18: special tokens glued to words all through the corpus made hf Unigram learn
    # "<unk>" as a piece ("special token '<unk>' got id 5, expected 3"); long runs without a
    # space (CJK paragraphs) are cut before the Unigram trainer.
    corpus = tmp_path_factory.getbasetemp() / "special-text.jsonl"
    if not corpus.exists():
        write_documents(str(corpus), special_text_documents())
    out = _train(str(corpus), tmp_path_factory.mktemp("special") / "tok", backend, algorithm, vocab)
    tok = tokenizer.load(out)
    assert tok.vocab_size == vocab
    assert (tok.pad_id, tok.bos_id, tok.eos_id, tok.unk_id, tok.mask_id) == (0, 1, 2, 3, 4)
    raw = Tokenizer.from_file(os.path.join(out, "tokenizer.json"))
    assert raw.get_vocab_size(with_added_tokens=False) == vocab  # no special token twice
    ids = tok.encode("a</s> b<s> c<pad> (<unk>) d<mask> [SEP][CLS]")
    assert not set(ids) & {0, 1, 2, 4}, ids


@pytest.mark.parametrize("pair", [("hf", "bpe"), ("sentencepiece", "bpe"), ("sentencepiece", "unigram")])
def test_round_trip_emoji_cjk_control(trained, pair):
    tok = tokenizer.load(trained[pair])
    for text in ROUND_TRIP_TEXTS:
        ids = tok.encode(text)
        assert tok.unk_id not in ids, text
        assert tok.decode(ids) == text
    assert tok.encode_batch(ROUND_TRIP_TEXTS) == [tok.encode(t) for t in ROUND_TRIP_TEXTS]


def test_lossy_algorithms_do_not_round_trip(trained):
    # WordPiece (NFKC, whitespace split) and hf Unigram (NFKC, no byte fallback) lose information:
    # this is why the round-trip guarantee is only made for byte-level BPE and byte fallback.
    for pair in (("hf", "wordpiece"), ("hf", "unigram")):
        tok = tokenizer.load(trained[pair])
        assert tok.unk_id in tok.encode(ROUND_TRIP_TEXTS[1])


@pytest.mark.parametrize("algorithm", ["bpe", "unigram"])
def test_sentencepiece_conversion_gives_sentencepiece_ids(trained, corpus, algorithm):
    out = trained[("sentencepiece", algorithm)]
    sp = spm.SentencePieceProcessor(model_file=os.path.join(out, "spm.model"))
    tok = tokenizer.load(out)
    texts = ROUND_TRIP_TEXTS + [d["text"] for d in corpus["docs"][::4]]
    assert tok.encode_batch(texts) == [sp.encode(t) for t in texts]
    assert [tok.decode(sp.encode(t)) for t in texts] == [sp.decode(sp.encode(t)) for t in texts]


def test_sentencepiece_nfkc_conversion(corpus, tmp_path):
    out = _train(corpus["jsonl"], tmp_path / "nfkc", "sentencepiece", "unigram", 900, "--normalization", "nfkc")
    sp = spm.SentencePieceProcessor(model_file=os.path.join(out, "spm.model"))
    tok = tokenizer.load(out)
    texts = ["ﬁ Ｆｕｌｌｗｉｄｔｈ ① x² ideographic\u3000space", "Ａｂｃ  déf Å"] + [d["text"] for d in corpus["docs"][::9]]
    assert [tok.encode(t) for t in texts] == [sp.encode(t) for t in texts]
    assert tok.decode(tok.encode("ﬁ Ｆｕｌｌ")) == "fi Full"


def test_literal_special_tokens_in_text_stay_text(trained):
    for pair in trained:
        tok = tokenizer.load(trained[pair])
        ids = tok.encode("a </s> b <s> c <pad> [SEP] [CLS] <mask> [MASK]")
        assert not set(ids) & {0, 1, 2, 4}, pair


@pytest.mark.parametrize("backend,algorithm,vocab", PAIRS)
def test_deterministic(corpus, tmp_path, backend, algorithm, vocab):
    first = _train(corpus["jsonl"], tmp_path / "a", backend, algorithm, vocab, "--max-docs", "250", "--seed", "7")
    again = _train(corpus["jsonl"], tmp_path / "b", backend, algorithm, vocab, "--max-docs", "250", "--seed", "7")
    blob = lambda d: open(os.path.join(d, "tokenizer.json"), "rb").read()  # noqa: E731
    assert blob(first) == blob(again)
    if backend == "sentencepiece":
        assert open(os.path.join(first, "spm.model"), "rb").read() == open(os.path.join(again, "spm.model"), "rb").read()


def test_sample_budget_is_reproducible_and_order_free(corpus, tmp_path):
    docs = corpus["docs"]
    part_a, part_b = str(tmp_path / "a.jsonl"), str(tmp_path / "b.parquet")
    write_documents(part_a, docs[1::2])
    write_documents(part_b, docs[::2])
    one = _train(corpus["jsonl"], tmp_path / "one", "hf", "bpe", 500, "--max-bytes", "120000", "--seed", "3")
    # the same documents split over two files of two formats: the same sample, the same tokenizer
    two = str(tmp_path / "two")
    assert main(["tokenizer", "train", "--input", part_b, part_a, "--output", two, "--algorithm", "bpe",
                 "--vocab-size", "500", "--max-bytes", "120000", "--seed", "3", "-q"]) == 0
    reports = [json.load(open(os.path.join(d, "train_report.json"))) for d in (one, two)]
    for report in reports:
        assert report["sample"]["bytes_sampled"] <= 120000 < report["sample"]["bytes_seen"]
        assert report["sample"]["budget_reached"]
    assert reports[0]["sample"]["docs_sampled"] == reports[1]["sample"]["docs_sampled"]
    assert reports[0]["tokenizer_sha256"] == reports[1]["tokenizer_sha256"]
    other_seed = _train(corpus["jsonl"], tmp_path / "s4", "hf", "bpe", 500, "--max-bytes", "120000", "--seed", "4")
    assert json.load(open(os.path.join(other_seed, "train_report.json")))["tokenizer_sha256"] != reports[0]["tokenizer_sha256"]
    capped = _train(corpus["jsonl"], tmp_path / "docs", "hf", "bpe", 500, "--max-docs", "40")
    assert json.load(open(os.path.join(capped, "train_report.json")))["sample"]["docs_sampled"] == 40


def test_bad_input_skipped_and_counted(corpus, tmp_path, capsys):
    bad_jsonl = tmp_path / "bad.jsonl"
    bad_jsonl.write_text('{"text": "fine line of text"}\nnot json at all\n{"no_text": 1}\n\n', encoding="utf-8")
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 this is not parquet")
    out = _train(str(tmp_path / "*"), tmp_path / "out", "hf", "bpe", 400)
    sample = json.load(open(os.path.join(out, "train_report.json")))["sample"]
    assert sample["docs_bad"] == 2 and sample["files_failed"] == [str(corrupt)]
    assert "skipped unreadable file" in capsys.readouterr().err
    empty = tmp_path / "empty" / "empty.jsonl"
    empty.parent.mkdir()
    empty.write_text("")
    assert main(["tokenizer", "train", "--input", str(empty), "--output", str(tmp_path / "e"),
                 "--algorithm", "bpe", "--vocab-size", "300"]) == 2
    assert "no text to train on" in capsys.readouterr().err


@pytest.mark.parametrize("args,message", [
    (["--backend", "sentencepiece", "--algorithm", "wordpiece"], "no wordpiece trainer"),
    (["--algorithm", "bpe", "--set", "byte_fallback=true"], "byte_fallback is a sentencepiece option"),
    (["--algorithm", "wordpiece", "--pre-tokenizer", "byte_level"], "does not go with hf wordpiece"),
    (["--algorithm", "unigram", "--special-tokens", "pad,eos"], "needs an unk special token"),
    (["--algorithm", "bpe", "--special-tokens", "pad,eos=<pad>"], "appear twice"),
    (["--algorithm", "bpe", "--set", "vocab_sise=5"], "vocab_sise"),
])
def test_refused_configurations(corpus, tmp_path, capsys, args, message):
    rc = main(["tokenizer", "train", "--input", corpus["jsonl"], "--output", str(tmp_path / "x"), *args])
    assert rc == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x" / "tokenizer.json").exists()


def test_config_file_special_tokens_and_extras(corpus, tmp_path):
    cfg = tmp_path / "tok.yaml"
    cfg.write_text("tokenizer:\n  algorithm: bpe\n  vocab_size: 450\n  special_tokens: [eos, pad]\n")
    out = _train(corpus["jsonl"], tmp_path / "out", "hf", "bpe", 450, "--config", str(cfg),
                 "--special-tokens", "pad,eos=<|endoftext|>,<|im_start|>", "--set", "min_frequency=3")
    tok = tokenizer.load(out)
    assert (tok.pad_id, tok.eos_id, tok.bos_id, tok.unk_id, tok.mask_id) == (0, 1, None, None, None)
    assert tok.special_tokens == {"<pad>": 0, "<|endoftext|>": 1, "<|im_start|>": 2}
    report = json.load(open(os.path.join(out, "train_report.json")))
    assert report["config"]["min_frequency"] == 3 and report["config"]["vocab_size"] == 450


def test_info_and_encode_commands(trained, capsys):
    out = trained[("hf", "bpe")]
    assert main(["tokenizer", "info", out]) == 0
    text = capsys.readouterr().out
    assert "vocab size:  600" in text and "eos=</s> (2)" in text and "hf bpe" in text
    assert main(["tokenizer", "encode", out, "Hello 🎉", "--json"]) == 0
    ids = json.loads(capsys.readouterr().out)
    assert ids == tokenizer.load(out).encode("Hello 🎉")
    assert main(["tokenizer", "info", "/nonexistent/tok"]) == 2


def test_bottom_k_sample_ignores_arrival_order():
    import random

    import xxhash

    from tokenizer.sample import bottom_k_threshold

    texts = [f"document {i} " * (1 + i % 17) for i in range(400)] + ["duplicate text"] * 5
    results = set()
    for shuffle_seed in range(5):
        order = texts[:]
        random.Random(shuffle_seed).shuffle(order)
        hashes = np.array([xxhash.xxh3_64_intdigest(t.encode(), 11) for t in order], dtype=np.uint64)
        threshold, docs, size = bottom_k_threshold(hashes, [len(t) for t in order], max_docs=150, max_bytes=9000)
        kept = sorted(t for t, h in zip(order, hashes) if h < threshold)
        assert len(kept) == docs <= 150 and sum(len(t) for t in kept) == size <= 9000
        results.add(tuple(kept))
    assert len(results) == 1


def test_sentencepiece_sample_is_capped(corpus, tmp_path):
    out = _train(corpus["jsonl"], tmp_path / "sp", "sentencepiece", "bpe", 1000, "--set", "sentencepiece_max_bytes=100000")
    sample = json.load(open(os.path.join(out, "train_report.json")))["sample"]
    assert sample["max_bytes"] == 100000 and sample["budget_reached"] and sample["bytes_sampled"] <= 100000


def test_sample_over_the_held_size_is_spooled(corpus, tmp_path, monkeypatch):
    # Above HELD_BYTES the texts wait in a spool file, not in memory: the same sample, the same tokenizer.
    import tokenizer.sample

    args = ["--max-bytes", "120000", "--seed", "3"]
    one = _train(corpus["jsonl"], tmp_path / "held", "hf", "bpe", 500, *args)
    monkeypatch.setattr(tokenizer.sample, "HELD_BYTES", 1000)
    two = _train(corpus["jsonl"], tmp_path / "reread", "hf", "bpe", 500, *args)
    reports = [json.load(open(os.path.join(d, "train_report.json"))) for d in (one, two)]
    assert reports[0]["sample"] == reports[1]["sample"] and reports[0]["sample"]["budget_reached"]
    assert reports[0]["tokenizer_sha256"] == reports[1]["tokenizer_sha256"]


def test_input_that_cannot_reach_the_budget_streams_to_the_same_tokenizer(corpus, tmp_path, monkeypatch):
    """Uncompressed JSONL whose size x 3 fits the budget is streamed (no hashing, no spool): the
    report and tokenizer equal those of the sampled path, which a Parquet copy of it takes."""
    import tokenizer.sample

    size = os.path.getsize(corpus["jsonl"])
    sample = tokenizer.sample.TextSample([corpus["jsonl"]], max_bytes=3 * size)
    assert sample.fits_budget()
    assert not tokenizer.sample.TextSample([corpus["jsonl"]], max_bytes=3 * size - 1).fits_budget()
    assert not tokenizer.sample.TextSample([corpus["jsonl"]], max_docs=10 ** 9).fits_budget()
    parquet = str(tmp_path / "corpus.parquet")
    write_documents(parquet, corpus["docs"])
    assert not tokenizer.sample.TextSample([parquet], max_bytes=10 ** 12).fits_budget()
    odd = tmp_path / "notes.csv"
    odd.write_text("a,b\n")  # an unknown format or a missing file is left to reading, which counts it
    assert not tokenizer.sample.TextSample([str(odd), str(tmp_path / "gone.jsonl")], max_bytes=10 ** 12).fits_budget()

    budget = ("--max-bytes", str(3 * size))
    spooled = []
    real_spool = tokenizer.sample.tempfile.TemporaryFile
    monkeypatch.setattr(tokenizer.sample, "HELD_BYTES", 1000)
    monkeypatch.setattr(tokenizer.sample.tempfile, "TemporaryFile",
                        lambda *a, **k: spooled.append(1) or real_spool(*a, **k))
    streamed = _train(corpus["jsonl"], tmp_path / "streamed", "hf", "bpe", 500, *budget)
    assert spooled == []
    sampled = _train(parquet, tmp_path / "sampled", "hf", "bpe", 500, *budget)
    assert spooled  # the Parquet copy went through the bottom-k pass
    reports = [json.load(open(os.path.join(d, "train_report.json"))) for d in (streamed, sampled)]
    for key in ("docs_seen", "docs_sampled", "bytes_sampled", "budget_reached"):
        assert reports[0]["sample"][key] == reports[1]["sample"][key]
    assert reports[0]["tokenizer_sha256"] == reports[1]["tokenizer_sha256"]


def test_text_fast_path_matches_document_reader(corpus, tmp_path):
    # The tokenizer reads only the text column; it must see exactly what iter_documents sees.
    import pyarrow as pa
    import pyarrow.parquet as pq

    from curation.io.docfiles import iter_documents, iter_file_texts, iter_texts

    docs = corpus["docs"][:40]
    files = [str(tmp_path / name) for name in ("d.jsonl", "d.jsonl.gz", "d.parquet")]
    for path in files:
        write_documents(path, docs)
    (tmp_path / "d.txt").write_text("one line\n\n  second line  \n", encoding="utf-8")
    files.append(str(tmp_path / "d.txt"))
    for path in files:
        assert list(iter_file_texts(path)) == [d["text"] for d in iter_documents(path)], path
    assert len(list(iter_texts(files))) == 3 * len(docs) + 2
    nulls = str(tmp_path / "nulls.parquet")
    pq.write_table(pa.table({"text": ["a", None, "b"], "url": ["u1", "u2", "u3"]}), nulls)
    bad = []
    assert list(iter_file_texts(nulls, on_error=lambda p, n, why: bad.append(n))) == ["a", "b"]
    assert bad == [2]
    with pytest.raises(ValueError, match="row 2"):
        list(iter_file_texts(nulls))


def test_sentences_are_the_non_blank_lines_cut_to_length():
    from tokenizer.sp_backend import _CHUNK_CHARS, sentences

    long_line = "x" * (2 * _CHUNK_CHARS + 5)
    texts = ["one\ntwo\n\n  \n\tthree \r\n", "", "\n", "\u3000\nsolo", long_line,
             "short\n" + long_line + "\n\nend", "a" * _CHUNK_CHARS, "b" * _CHUNK_CHARS + "\nc"]
    want = [piece for text in texts for line in text.split("\n") if line.strip()
            for piece in (line[i:i + _CHUNK_CHARS] for i in range(0, len(line), _CHUNK_CHARS))]
    assert list(sentences(texts)) == want
    assert "two" in want and "\tthree \r" in want and len(want) == 15


def test_bounded_runs_cut_only_long_runs():
    from tokenizer.hf_backend import bounded_runs

    text = "short words " + "字" * 25 + " and " + "x" * 9 + " end"
    pieces = list(bounded_runs([text, "plain text"], limit=10))
    assert "".join(pieces[:-1]) == text and pieces[-1] == "plain text"
    assert max(len(run) for p in pieces for run in p.split()) == 10
    assert pieces[:4] == ["short words ", "字" * 10, "字" * 10, "字" * 5]


def test_arrow_whitespace_is_python_whitespace():
    """The sentences of a block are found with pyarrow's utf8_is_space: it must call exactly the
    characters whitespace that str.strip() removes (so a blank line is blank either way)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    arrow = pc.utf8_is_space(pa.array(chars)).to_pylist()
    assert [c for c, space in zip(chars, arrow) if space != c.isspace()] == []


def test_column_sentences_are_the_sentences_as_bytes():
    import pyarrow as pa

    from tokenizer.sp_backend import _CHUNK_CHARS, column_sentences, sentences

    texts = ["one\ntwo\n\n  \n\tthree \r\n", "", "\n", "\u3000\nsolo", "\u00a0\u2028\u205f\n\x1c\x1f\x85",
             "\u200b zero width is not space\n", "中文\n\n😀", "a" * _CHUNK_CHARS + "\nc", "é" * _CHUNK_CHARS]
    column = pa.chunked_array([texts[:4], texts[4:]])
    got = column_sentences(column)
    assert all(type(s) is bytes for s in got)
    assert [s.decode("utf-8") for s in got] == list(sentences(texts))
    assert len(got) == 10
    long_line = pa.chunked_array([["short", "x\n" + "é" * (_CHUNK_CHARS + 1)]])
    assert column_sentences(long_line) is None  # to be cut: the texts go through sentences()


def test_sentencepiece_trains_on_blocks_the_model_of_its_texts(tmp_path, monkeypatch):
    """Through the CLI, JSONL blocks are split into sentences on the parse thread (bytes); the
    model and the sample counts equal training on the same texts a document at a time."""
    import functools

    import tokenizer.sample
    import tokenizer.sp_backend
    from tokenizer.config import TokenizerConfig

    docs = corpus_documents()
    rows = [json.dumps(d, ensure_ascii=False) for d in docs]
    extra = ['{"text": "   \\n\\t"}', '{"text": ""}', '{"text": null}', '{"text": "\\u3000\\n\\u00a0"}',
             json.dumps({"text": "long " + "word" * 9000 + "\nshort line"})]  # a line over _CHUNK_CHARS
    path = tmp_path / "corpus.jsonl"
    lines = rows[:40] + extra + rows[40:]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    columns = []
    real = tokenizer.sp_backend.column_sentences
    monkeypatch.setattr(tokenizer.sp_backend, "column_sentences", lambda c: columns.append(len(c)) or real(c))
    monkeypatch.setattr(tokenizer.sample, "iter_jsonl_text_blocks",  # many blocks: one with the long line, one a null
                        functools.partial(tokenizer.sample.iter_jsonl_text_blocks, block_size=20_000))
    out = _train(str(path), tmp_path / "cli", "sentencepiece", "bpe", 1000)
    assert len(columns) > 5

    texts = [d["text"] for d in docs[:40]] + ["long " + "word" * 9000 + "\nshort line"] + [d["text"] for d in docs[40:]]
    config = TokenizerConfig(backend="sentencepiece", algorithm="bpe", vocab_size=1000)
    direct = tokenizer.sp_backend.train_sentencepiece(texts, config, str(tmp_path))
    assert open(os.path.join(out, "spm.model"), "rb").read() == open(direct, "rb").read()
    sample = json.load(open(os.path.join(out, "train_report.json")))["sample"]
    assert (sample["docs_seen"], sample["docs_empty"], sample["docs_bad"]) == (len(docs) + 4, 3, 1)
    assert sample["docs_sampled"] == len(texts)
    assert sample["bytes_sampled"] == sample["bytes_seen"] == sum(len(t.encode()) for t in texts)
