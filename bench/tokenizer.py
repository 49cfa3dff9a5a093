"""Tokenizer benchmark: training through `curation tokenizer train` vs the library directly.

For every algorithm/backend pair, on the same corpus (default ~50 MB, realistic text:
the shipped book chapters, web pages and multilingual lines, re-mixed into new documents):
- training wall time through our CLI vs the library's own file trainer on the same text
  (ratio; goal <= 1.1x), and the CPU time (user + system, all threads) of each side, which a
  busy shared machine disturbs less than wall time,
- peak memory (VmHWM of the child process: ru_maxrss would carry this parent's over exec) of both,
- encode throughput (tokens/s) of ``tokenizer.load(DIR).encode_batch`` (and sentencepiece's
  own batch encoder for the sentencepiece models).

What each side does (same documents, same vocabulary size, same trainer settings):
- CLI: ``curation tokenizer train --input corpus.jsonl`` in a fresh process: import, expand the
  input, read the ``text`` of every JSONL row, the bottom-k sample (default 1 GiB budget: every
  document, hashed and kept), then
  * hf: the sample written to a temporary file (each document + "\n"), ``Tokenizer.train([file])``
    (the library's file trainer: one sequence per line, as DIRECT); Unigram scores canonicalised,
    WordPiece continuation symbols prepared (one pass over the characters);
  * sentencepiece: the documents' non-blank lines through ``sentence_iterator`` (lines of the
    plain file = the same sentences), then the model converted to ``tokenizer.json``;
  then tokenizer.json, special_tokens.json and the report written.
- direct: a fresh process, import the library, train from ``corpus.txt`` (the same documents,
  one after another, each + "\n") with the same trainer settings: hf BPE byte-level,
  min_frequency 2; WordPiece NFKC + BERT pre-tokenizer; Unigram NFKC + Metaspace, max piece
  16; sentencepiece with our fixed options (byte fallback, identity normalisation, ...).
  Differences kept small on purpose: ours adds printable ASCII to the initial alphabet (hf),
  ``##c`` continuation symbols (WordPiece) and post-processing; neither side is given threads
  the other lacks (both use all cores).

    python bench/tokenizer.py [--mb 50] [--repeats 3] [--vocab 8000] [--pairs hf:bpe,sentencepiece:unigram]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

PAIRS = ["hf:bpe", "hf:wordpiece", "hf:unigram", "sentencepiece:bpe", "sentencepiece:unigram"]

# The library called directly, in a child process: train from a plain text file, print peak RSS.
DIRECT = r'''
import json, sys, os
backend, algorithm, vocab, text_file, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
os.makedirs(out, exist_ok=True)
if backend == "hf":
    from tokenizers import Tokenizer, models, pre_tokenizers, normalizers, trainers, decoders
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
        trainer = trainers.WordPieceTrainer(vocab_size=vocab, min_frequency=2, special_tokens=specials, show_progress=False)
    else:
        tok = Tokenizer(models.Unigram())
        tok.normalizer = normalizers.NFKC()
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        trainer = trainers.UnigramTrainer(vocab_size=vocab, special_tokens=specials, unk_token="<unk>", show_progress=False)
    tok.train([text_file], trainer)
    tok.save(os.path.join(out, "tokenizer.json"))
else:
    import sentencepiece as spm
    spm.SentencePieceTrainer.train(input=text_file, model_prefix=os.path.join(out, "spm"), model_type=algorithm,
        vocab_size=vocab, byte_fallback=True, character_coverage=0.9995, normalization_rule_name="identity",
        remove_extra_whitespaces=False, allow_whitespace_only_pieces=True, input_sentence_size=0,
        shuffle_input_sentence=False, required_chars="".join(chr(c) for c in range(0x21, 0x7F)),
        max_sentence_length=1 << 16, pad_id=0, bos_id=1, eos_id=2, unk_id=3, user_defined_symbols=["<mask>"],
        num_threads=os.cpu_count(), minloglevel=2)
print(json.dumps({"maxrss_kb": int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])}))
'''

# Our CLI, in a child process: print peak RSS afterwards.
OURS = r'''
import json, sys
from pipelines.cli import main
rc = main(sys.argv[1:])
print(json.dumps({"rc": rc, "maxrss_kb": int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])}))
'''


def build_corpus(target_bytes: int, folder: str, seed: int = 0) -> tuple[str, str, list[str]]:
    """Documents re-mixed from realistic paragraphs until ``target_bytes``: JSONL + the same text plain."""
    from curation.document import new_document
    from curation.io.docfiles import write_documents
    from tests.tokenizer_fixtures import corpus_documents

    paragraphs = [p.strip() for d in corpus_documents() for p in d["text"].split("\n") if len(p.strip()) > 20]
    rng = random.Random(seed)
    docs, texts, size, n = [], [], 0, 0
    while size < target_bytes:
        k = rng.randint(3, 12)
        # re-mixed paragraphs with a few random numbers and names so the word counts are not just scaled copies
        paras = [p if rng.random() < 0.8 else f"{p} ({rng.randint(1, 99999)} {rng.choice(['km', 'kg', 'EUR', '%'])})"
                 for p in rng.sample(paragraphs, k)]
        text = "\n".join(paras)
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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_child(code: str, args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, all threads) and peak RSS (kB) of one child."""
    started, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO)
    seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if proc.returncode != 0:
        raise RuntimeError(f"child failed: {proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if result.get("rc", 0) != 0:
        raise RuntimeError(f"CLI failed: {proc.stderr[-2000:]}")
    return seconds, cpu, result["maxrss_kb"]


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=50.0, help="corpus size in MB (default 50)")
    parser.add_argument("--vocab", type=int, default=8000)
    parser.add_argument("--repeats", type=int, default=1, help="training runs per side (median)")
    parser.add_argument("--encode-mb", type=float, default=5.0, help="text encoded for throughput (MB)")
    parser.add_argument("--pairs", default=",".join(PAIRS), help="comma-separated backend:algorithm")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-tok-") as tmp:
        jsonl, plain, texts = build_corpus(int(args.mb * 1e6), tmp)
        encode_texts, size = [], 0
        for text in texts:
            if size >= args.encode_mb * 1e6:
                break
            encode_texts.append(text)
            size += len(text.encode())
        print(f"corpus: {len(texts):,} documents, {os.path.getsize(plain) / 1e6:.1f} MB of text "
              f"(JSONL {os.path.getsize(jsonl) / 1e6:.1f} MB); vocab {args.vocab}; {os.cpu_count()} cores; "
              f"encode sample {size / 1e6:.1f} MB; repeats {args.repeats}")
        header = (f"{'pair':<22} {'CLI s':>8} {'direct s':>9} {'ratio':>6} {'CLI cpu':>8} {'dir cpu':>8} "
                  f"{'cpu ratio':>9} {'CLI MB':>8} {'direct MB':>10} {'encode tok/s':>13} {'sp native tok/s':>16}")
        print(header)
        print("-" * len(header))
        for pair in args.pairs.split(","):
            backend, algorithm = pair.split(":")
            ours_t, ours_c, ours_m, direct_t, direct_c, direct_m = [], [], [], [], [], []
            out = os.path.join(tmp, f"ours-{backend}-{algorithm}")
            for _ in range(args.repeats):
                t, c, m = run_child(OURS, ["tokenizer", "train", "--input", jsonl, "--output", out, "--backend", backend,
                                        "--algorithm", algorithm, "--vocab-size", str(args.vocab), "-q"])
                ours_t.append(t)
                ours_c.append(c)
                ours_m.append(m)
                t, c, m = run_child(DIRECT, [backend, algorithm, str(args.vocab), plain,
                                          os.path.join(tmp, f"direct-{backend}-{algorithm}")])
                direct_t.append(t)
                direct_c.append(c)
                direct_m.append(m)
            tps, native = encode_throughput(out, encode_texts, backend, max(args.repeats, 3))
            ct, dt = statistics.median(ours_t), statistics.median(direct_t)
            cc, dc = statistics.median(ours_c), statistics.median(direct_c)
            print(f"{backend + ' ' + algorithm:<22} {ct:>8.1f} {dt:>9.1f} {ct / dt:>6.2f} {cc:>8.1f} {dc:>8.1f} "
                  f"{cc / dc:>9.2f} "
                  f"{max(ours_m) / 1024:>8.0f} {max(direct_m) / 1024:>10.0f} {tps:>13,.0f} "
                  f"{(f'{native:,.0f}' if native else '-'):>16}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
