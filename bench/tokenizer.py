"""Tokenizer benchmark: training through `curation tokenizer train` vs the library directly.

For every algorithm/backend pair, on the same corpus (default ~50 MB, realistic text:
the shipped book chapters, web pages and multilingual lines, re-mixed into new documents):
- training wall time through our CLI vs the library's own file trainer on the same text
  (ratio; goal <= 1.1x), and the CPU time (user + system, all threads) of each side, which a
  busy shared machine disturbs less than wall time,
- peak memory (RSS of each side's process tree, ``bench/harness.py``) of both,
- encode throughput (tokens/s) of ``tokenizer.load(DIR).encode_batch`` (and sentencepiece's
  own batch encoder for the sentencepiece models).

What each side does (same documents, same vocabulary size, same trainer settings):
- CLI: ``curation tokenizer train --input corpus.jsonl`` in a fresh process: import, expand the
  input, read the ``text`` of every JSONL row (pyarrow's JSON parser, 1 MB of lines at a time,
  json.loads line by line where pyarrow could read a block differently; the budgets raised to
  4x the file, so every document is kept, as the direct side reads them all, and streamed: an input that cannot reach
  the budget is not hashed and spooled; with ``--cli-only`` the defaults: 1 GiB, sentencepiece
  128 MB), then
  * hf: the sample written to a temporary file (each document + "\n"), ``Tokenizer.train([file])``
    (the library's file trainer: one sequence per line, as DIRECT); Unigram scores canonicalised,
    WordPiece continuation symbols prepared (one pass over the characters);
  * sentencepiece: the documents' non-blank lines through ``sentence_iterator`` (lines of the
    plain file = the same sentences), then the model converted to ``tokenizer.json``;
  then tokenizer.json, special_tokens.json and the report written.
- direct: a fresh process, import the library, train with the same trainer settings from
  the same documents: hf BPE and WordPiece and sentencepiece from ``corpus.txt`` (the documents
  one after another, each + "\n"); hf Unigram from the documents of ``corpus.jsonl`` through
  ``train_from_iterator`` in batches of 1000, as ours (lines would be 4x less work: Unigram's
  metaspace words span line breaks). hf BPE byte-level,
  min_frequency 2; WordPiece NFKC + BERT pre-tokenizer; Unigram NFKC + Metaspace, max piece
  16; sentencepiece with our fixed options (byte fallback, identity normalisation, ...).
  Differences kept small on purpose: ours adds printable ASCII to the initial alphabet (hf),
  ``##c`` continuation symbols (WordPiece) and post-processing; neither side is given threads
  the other lacks (both use all cores). Start-up (interpreter and imports) is in both sides'
  wall time; rounds are interleaved (``bench/harness.py``), one table for all pairs, each CLI
  row's ratio taken against its own direct row.

    python bench/tokenizer.py [--mb 50] [--rounds 3] [--vocab 8000] [--pairs hf:bpe,sentencepiece:unigram]
    python bench/tokenizer.py --quick
    python bench/tokenizer.py --mb 20 --special-text    # issue 18: special tokens as text, long CJK runs
    python bench/tokenizer.py --mb 1000 --cli-only      # at size: our CLI's time and peak RSS alone
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from bench import harness  # noqa: E402

PAIRS = ["hf:bpe", "hf:wordpiece", "hf:unigram", "sentencepiece:bpe", "sentencepiece:unigram"]


def train_direct(backend: str, algorithm: str, vocab: int, text_file: str, jsonl: str, out: str) -> dict:
    """The library called directly, in a fresh process (``harness.call``)."""
    os.makedirs(out, exist_ok=True)
    if backend == "sentencepiece":
        import sentencepiece as spm

        spm.SentencePieceTrainer.train(
            input=text_file, model_prefix=os.path.join(out, "spm"), model_type=algorithm,
            vocab_size=vocab, byte_fallback=True, character_coverage=0.9995, normalization_rule_name="identity",
            remove_extra_whitespaces=False, allow_whitespace_only_pieces=True, input_sentence_size=0,
            shuffle_input_sentence=False, required_chars="".join(chr(c) for c in range(0x21, 0x7F)),
            max_sentence_length=1 << 16, pad_id=0, bos_id=1, eos_id=2, unk_id=3, user_defined_symbols=["<mask>"],
            num_threads=os.cpu_count(), minloglevel=2)
        return {}
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    specials = ["<pad>", "<s>", "</s>", "<unk>", "<mask>"]
    if algorithm == "bpe":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        trainer = trainers.BpeTrainer(vocab_size=vocab, min_frequency=2, special_tokens=specials,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    elif algorithm == "wordpiece":
        specials = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"]
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.NFKC()
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        trainer = trainers.WordPieceTrainer(vocab_size=vocab, min_frequency=2, special_tokens=specials,
                                            show_progress=False)
    else:
        tok = Tokenizer(models.Unigram())
        tok.normalizer = normalizers.NFKC()
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        trainer = trainers.UnigramTrainer(vocab_size=vocab, special_tokens=specials, unk_token="<unk>",
                                          max_piece_length=16, show_progress=False)
    if algorithm == "unigram":  # whole documents, as ours
        tok.train_from_iterator(_document_batches(jsonl), trainer=trainer)
    else:
        tok.train([text_file], trainer)
    tok.save(os.path.join(out, "tokenizer.json"))
    return {}


def _document_batches(jsonl: str, size: int = 1000):
    batch = []
    with open(jsonl, encoding="utf-8") as rows:
        for line in rows:
            batch.append(json.loads(line)["text"])
            if len(batch) == size:
                yield batch
                batch = []
    if batch:
        yield batch


def build_corpus(target_bytes: int, folder: str, seed: int = 0,
                 special_text: bool = False) -> tuple[str, str, list[str]]:
    """Documents re-mixed from realistic paragraphs until ``target_bytes``: JSONL + the same text plain.

    ``special_text``: as the test corpus that made hf Unigram fail (issue 18): special tokens glued
    to one word in five, every 200th document a 20k-character CJK run (``tests/tokenizer_fixtures.py``).
    """
    from curation.document import new_document
    from curation.io.docfiles import write_documents
    from tests.tokenizer_fixtures import cjk_run, corpus_documents, glue_special_tokens

    paragraphs = [p.strip() for d in corpus_documents() for p in d["text"].split("\n") if len(p.strip()) > 20]
    rng = random.Random(seed)
    docs, texts, size, n = [], [], 0, 0
    while size < target_bytes:
        k = rng.randint(3, 12)
        # re-mixed paragraphs with a few random numbers and names so the word counts are not just scaled copies
        paras = [p if rng.random() < 0.8 else f"{p} ({rng.randint(1, 99999)} {rng.choice(['km', 'kg', 'EUR', '%'])})"
                 for p in rng.sample(paragraphs, k)]
        text = "\n".join(paras)
        if special_text:
            text = cjk_run(n) if n % 200 == 199 else glue_special_tokens(text, rng)
        docs.append(new_document(text, url=f"https://bench.example/{n}", source="bench"))
        texts.append(text)
        size += len(text.encode())
        n += 1
    jsonl = os.path.join(folder, "corpus.jsonl")
    write_documents(jsonl, docs)
    plain = os.path.join(folder, "corpus.txt")
    with open(plain, "w", encoding="utf-8") as fh:
        for text in texts:
            fh.write(text + "\n")
    return jsonl, plain, texts


def encode_throughput(out: str, texts: list[str], backend: str, repeats: int) -> tuple[float, float | None]:
    import tokenizer

    tok = tokenizer.load(out)
    ours = []
    for _ in range(repeats):
        started = time.perf_counter()
        tokens = sum(len(ids) for ids in tok.encode_batch(texts))
        ours.append(tokens / (time.perf_counter() - started))
    native = None
    if backend == "sentencepiece":
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=os.path.join(out, "spm.model"))
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            tokens = sum(len(ids) for ids in sp.encode(texts, num_threads=os.cpu_count()))
            runs.append(tokens / (time.perf_counter() - started))
        native = statistics.median(runs)
    return statistics.median(ours), native


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=50.0, help="corpus size in MB (default 50)")
    parser.add_argument("--vocab", type=int, default=8000)
    parser.add_argument("--rounds", type=int, default=1, help="interleaved training runs per side (median)")
    parser.add_argument("--encode-mb", type=float, default=5.0, help="text encoded for throughput (MB)")
    parser.add_argument("--pairs", default=",".join(PAIRS), help="comma-separated backend:algorithm")
    parser.add_argument("--special-text", action="store_true",
                        help="special tokens as text and long CJK runs in the corpus (issue 18's failures)")
    parser.add_argument("--cli-only", action="store_true",
                        help="no 'library directly' rows: for corpora the library alone does not fit "
                             "(sentencepiece holds its whole input; ours samples it)")
    args = harness.parse_args(parser, argv, quick={"mb": 2.0, "vocab": 2000, "encode_mb": 1.0},
                              smoke={"mb": 0.2, "vocab": 600, "encode_mb": 0.1,
                                     "pairs": "hf:unigram,sentencepiece:bpe"})

    with tempfile.TemporaryDirectory(prefix="bench-tok-") as tmp:
        jsonl, plain, texts = build_corpus(int(args.mb * 1e6), tmp, special_text=args.special_text)
        encode_texts, size = [], 0
        for text in texts:
            if size >= args.encode_mb * 1e6:
                break
            encode_texts.append(text)
            size += len(text.encode())
        pairs = [pair.split(":") for pair in args.pairs.split(",")]
        budget = 4 * os.path.getsize(jsonl)  # every document fits: streamed, as an input that cannot reach it is
        sides, baselines = [], []
        for backend, algorithm in pairs:
            ours = os.path.join(tmp, f"ours-{backend}-{algorithm}")
            # like for like: beside a direct row, ours trains on the whole corpus too (its default
            # sample caps sentencepiece's input at 128 MB, bounding memory); --cli-only keeps the defaults
            whole = [] if args.cli_only else ["--max-bytes", str(budget), "--set", f"sentencepiece_max_bytes={budget}"]
            sides.append(harness.Side(f"{backend} {algorithm}: curation tokenizer train", [
                sys.executable, "-m", "curation", "tokenizer", "train", "--input", jsonl, "--output", ours,
                "--backend", backend, "--algorithm", algorithm, "--vocab-size", str(args.vocab), "-q", *whole]))
            if args.cli_only:
                baselines.append(len(sides) - 1)
                continue
            sides.append(harness.call(f"{backend} {algorithm}: the library directly", "bench.tokenizer:train_direct",
                                      backend=backend, algorithm=algorithm, vocab=args.vocab, text_file=plain,
                                      jsonl=jsonl, out="{out}"))
            baselines += [len(sides) - 1, len(sides) - 1]
        results = harness.compare(sides, rounds=args.rounds)
        harness.print_table(
            f"tokenizer training: {len(texts):,} documents{' (special text)' if args.special_text else ''}, "
            f"{os.path.getsize(plain) / 1e6:.1f} MB of text, "
            f"vocab {args.vocab}, {os.cpu_count()} cores", results, baseline=baselines)
        print(f"\nencode throughput, {size / 1e6:.1f} MB of documents (median of 3)")
        print(f"{'pair':<24}{'tokenizer.load().encode_batch tok/s':>38}{'sentencepiece native tok/s':>28}")
        for backend, algorithm in pairs:
            tps, native = encode_throughput(os.path.join(tmp, f"ours-{backend}-{algorithm}"), encode_texts,
                                            backend, 3)
            print(f"{backend + ' ' + algorithm:<24}{tps:>38,.0f}{(f'{native:,.0f}' if native else '-'):>28}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
