"""The proxy LM: packed-document attention, masked loss, shapes, preset sizes, training."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from curation.proxy import PRESETS, ProxyLM, next_token_targets, preset
from curation.proxy.model import IGNORE_INDEX, segment_mask
from curation.proxy.train import TrainSettings, cosine_lr, evaluate, resolve_device, sample_batches, train
from tests import synthetic_shards as F

V, T = 97, 24


@pytest.fixture(autouse=True, scope="module")
def _one_thread(torch_one_thread):
    yield


def _model(seed=0):
    torch.manual_seed(seed)
    return ProxyLM(preset("tiny", vocab_size=V, seq_len=T)).eval()


def _packed_row():
    """One row: document 1 on 0..9, document 2 on 10..19, padding on 20..23."""
    seg = torch.tensor([[1] * 10 + [2] * 10 + [0] * 4])
    pos = torch.tensor([list(range(10)) + list(range(10)) + [0] * 4])
    ids = torch.randint(3, V, (1, T), generator=torch.Generator().manual_seed(1))
    ids[:, 20:] = 0
    return ids, seg, pos


def test_output_shapes_and_loss():
    m = _model()
    ids = torch.randint(0, V, (3, T))
    logits, loss = m(ids)
    assert logits.shape == (3, T, V) and loss is None
    _, loss = m(ids, targets=next_token_targets(ids))
    assert loss.ndim == 0 and abs(float(loss.detach()) - np.log(V)) < 0.5  # std-0.02 init: near uniform


def test_attention_does_not_cross_segments():
    m = _model()
    ids, seg, pos = _packed_row()
    changed = ids.clone()
    changed[:, :10] = (changed[:, :10] + 5) % V  # rewrite document 1 only
    with torch.no_grad():
        a, _ = m(ids, seg, pos)
        b, _ = m(changed, seg, pos)
        causal_a, _ = m(ids, None, pos)
        causal_b, _ = m(changed, None, pos)
    torch.testing.assert_close(a[:, 10:20], b[:, 10:20], rtol=0, atol=1e-5)
    assert not torch.allclose(a[:, :10], b[:, :10])
    # Control: plain causal attention over the row does leak document 1 into document 2.
    assert (causal_a[:, 10:20] - causal_b[:, 10:20]).abs().max() > 1e-3


def test_document_in_a_packed_row_equals_the_document_alone():
    m = _model()
    ids, seg, pos = _packed_row()
    with torch.no_grad():
        packed, _ = m(ids, seg, pos)
        alone, _ = m(ids[:, 10:20])
    torch.testing.assert_close(packed[:, 10:20], alone, rtol=1e-4, atol=1e-4)


def test_fast_causal_path_only_for_one_segment_per_row():
    assert segment_mask(torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])) is None
    assert segment_mask(torch.tensor([[1, 1, 2, 0]])) is not None
    assert segment_mask(torch.tensor([[0, 1, 1, 1]])) is not None  # left padding needs the mask
    m = _model()
    ids = torch.randint(3, V, (2, T))
    seg = torch.ones(2, T, dtype=torch.long)
    with torch.no_grad():
        fast, _ = m(ids, seg)
        seg2 = seg.clone()
        seg2[:, -1] = 2  # forces the block-diagonal mask; positions 0..T-2 unaffected
        masked, _ = m(ids, seg2)
    torch.testing.assert_close(fast[:, :-1], masked[:, :-1], rtol=1e-4, atol=1e-5)


def test_loss_ignores_padding_and_document_boundaries():
    m = _model()
    ids, seg, pos = _packed_row()
    loss_mask = (seg > 0).long()
    targets = next_token_targets(ids, loss_mask, seg)
    assert (targets[0, 19:] == IGNORE_INDEX).all()   # last doc token predicts padding: ignored
    assert targets[0, 9] == IGNORE_INDEX              # doc 1 does not predict doc 2's first token
    assert targets[0, 10] == ids[0, 11]
    with torch.no_grad():
        _, loss = m(ids, seg, pos, targets)
    other = ids.clone()
    other[:, 20:] = 55  # garbage under the padding
    with torch.no_grad():
        _, loss2 = m(other, seg, pos, next_token_targets(other, loss_mask, seg))
    assert float(loss) == pytest.approx(float(loss2), abs=1e-6)
    with torch.no_grad():
        logits, _ = m(ids, seg, pos)
    keep = targets != IGNORE_INDEX
    manual = torch.nn.functional.cross_entropy(logits[keep], targets[keep])
    assert float(loss) == pytest.approx(float(manual), rel=1e-5)


@pytest.mark.parametrize("name, nominal", [("tiny", 1e6), ("small", 20e6), ("gpt2-124m", 124e6)])
def test_preset_parameter_counts_match_their_names(name, nominal):
    with torch.device("meta"):  # count without allocating 124M parameters
        n = ProxyLM(PRESETS[name]).num_params()
    assert 0.8 * nominal <= n <= 1.2 * nominal, n


def test_cosine_schedule_warms_up_then_decays():
    s = TrainSettings(steps=100, lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    assert cosine_lr(0, s) == pytest.approx(0.1) and cosine_lr(9, s) == pytest.approx(1.0)
    assert cosine_lr(55, s) == pytest.approx(0.55) and cosine_lr(99, s) > 0.1
    assert cosine_lr(100, s) == pytest.approx(0.1)


def test_training_learns_the_synthetic_language_and_is_seeded():
    lang = F.Language.make(128, seed=0)
    rows = F.pack(lang.documents(60, np.random.default_rng(0), max_len=60), 32)
    device = resolve_device("cpu")
    settings = TrainSettings(steps=30, batch_size=8, lr=3e-3, warmup_steps=3)

    def run():
        torch.manual_seed(0)
        m = ProxyLM(preset("tiny", vocab_size=128, seq_len=32))
        losses = train(m, sample_batches(rows, 8, seed=0), settings, device)
        return losses, evaluate(m, rows, device)

    losses, (total, count) = run()
    assert losses[-1] < losses[0] - 1.0 and total / count < np.log(128) - 1.0
    assert run()[0] == losses  # same seed, same losses


def test_cuda_request_without_cuda_is_an_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert resolve_device("auto").type == "cpu"
    with pytest.raises(ValueError, match="CUDA"):
        resolve_device("cuda")
