"""GPT-2 family: shapes, parameter counts and FLOP conventions against known values."""
from pathlib import Path

import pytest
import torch
import yaml

from scalinglab import counting
from scalinglab.devices import PEAK_FLOPS, device_key, peak_flops
from scalinglab.model import GPT, PRESETS, GPTConfig, model_shape

REPO = Path(__file__).resolve().parents[1]
GPT2 = GPTConfig(**PRESETS["gpt2"])


def n_module_params(cfg: GPTConfig) -> int:
    with torch.device("meta"):  # shapes only: instant even for 350M parameters
        return sum(p.numel() for p in GPT(cfg).parameters())


def test_gpt2_small_parameter_counts_match_known_values():
    # 124,439,808 is GPT-2 small with tied embeddings (HF/nanoGPT count every distinct tensor).
    assert n_module_params(GPT2) == 124_439_808
    assert counting.params_total(GPT2) == 124_439_808
    # Kaplan: drop token (50257 x 768) and position (1024 x 768) embeddings.
    assert counting.params_non_embedding(GPT2) == 124_439_808 - 50257 * 768 - 1024 * 768 == 85_056_000
    # ... which is 12 n_layer d^2 plus biases and LayerNorms (~0.14% here).
    assert counting.params_non_embedding(GPT2) == pytest.approx(12 * 12 * 768**2, rel=2e-3)
    # Porian et al.: the head is counted in (nanoGPT's "non-embedding" count, wpe excluded).
    assert counting.params_with_head(GPT2) == 123_653_376


def test_gpt2_medium_and_bias_free_counts_match_the_module():
    for cfg in (GPTConfig(**PRESETS["gpt2-medium"]), GPTConfig(n_layer=3, n_head=2, n_embd=16, bias=False,
                                                               block_size=32, vocab_size=100)):
        assert counting.params_total(cfg) == n_module_params(cfg)
    assert counting.params_total(GPTConfig(**PRESETS["gpt2-medium"])) == 354_823_168


def test_flop_conventions():
    N = 85_056_000
    assert counting.flops_per_token(GPT2, "6N") == 6 * N
    assert counting.flops_per_token(GPT2, "6N_with_head") == 6 * 123_653_376
    assert counting.flops_per_token(GPT2, "6N+attn") == 6 * N + 12 * 12 * 1024 * 768
    # Chinchilla App. F: forward = 2Vd (embed) + L (6d^2 + 4Td + 3HT + 2d^2 + 16d^2) + 2dV; x3 training.
    fwd = 2 * 50257 * 768 * 2 + 12 * (24 * 768**2 + 4 * 1024 * 768 + 3 * 12 * 1024)
    assert counting.flops_per_token(GPT2, "chinchilla") == 3 * fwd
    # nanoGPT's MFU numerator: 6N (N without wpe) + 12 L T d.
    assert counting.mfu_flops_per_token(GPT2) == 6 * 123_653_376 + 12 * 12 * 1024 * 768
    assert counting.tokens_for_budget(GPT2, 6 * N * 1000) == 1000
    with pytest.raises(ValueError, match="unknown FLOP convention 'bogus'"):
        counting.flops_per_token(GPT2, "bogus")


def test_forward_and_hidden_states():
    torch.manual_seed(0)
    cfg = GPTConfig(n_layer=2, n_head=2, n_embd=16, block_size=8, vocab_size=50)
    model = GPT(cfg).eval()
    idx = torch.randint(0, 50, (3, 8))
    logits, loss = model(idx, idx)
    assert logits.shape == (3, 8, 50) and loss.ndim == 0
    assert model(idx)[1] is None
    h = model.hidden_states(idx, final_layer_norm=True)
    raw = model.hidden_states(idx, final_layer_norm=False)
    assert h.shape == raw.shape == (3, 8, 16)
    torch.testing.assert_close(model.lm_head(h), logits)
    torch.testing.assert_close(model.transformer.ln_f(raw), h)
    assert model.transformer.wte.weight is model.lm_head.weight  # tied
    # Causality: a change at position 5 leaves earlier logits alone.
    idx2 = idx.clone()
    idx2[:, 5] = (idx2[:, 5] + 1) % 50
    torch.testing.assert_close(model(idx2)[0][:, :5], logits[:, :5])


def test_bad_shapes_fail_clearly():
    with pytest.raises(ValueError, match="n_embd=100 is not divisible by n_head=3"):
        GPTConfig(n_layer=1, n_head=3, n_embd=100)
    with pytest.raises(ValueError, match="n_layer=0"):
        GPTConfig(n_layer=0)
    with pytest.raises(ValueError, match="unknown model 'gpt-7'"):
        model_shape("gpt-7", {})
    model = GPT(GPTConfig(n_layer=1, n_head=1, n_embd=8, block_size=4, vocab_size=10))
    with pytest.raises(ValueError, match="exceeds block_size=4"):
        model(torch.zeros(1, 5, dtype=torch.long))


@pytest.mark.parametrize("config_file,names", [
    ("config.yaml", ["gpt-1m", "gpt-3m", "gpt-10m", "gpt-30m", "gpt-85m", "gpt-300m"]),
    ("workflow/config/demo.yaml", ["demo-1k", "demo-2k", "demo-3k", "demo-7k", "demo-14k", "demo-25k"]),
])
def test_config_ladders_are_valid_and_increasing(config_file, names):
    ladder = yaml.safe_load((REPO / config_file).read_text())["models"]
    vocab, block = (50257, 1024) if config_file == "config.yaml" else (512, 64)
    sizes = []
    for name in names:
        cfg = GPTConfig(**model_shape(name, ladder), block_size=block, vocab_size=vocab)
        n = counting.params_non_embedding(cfg)
        assert f"{n:,}" in ladder[name]["description"]  # the documented count is the real one
        sizes.append(n)
    assert sizes == sorted(sizes)
    if config_file == "config.yaml":
        assert 0.9e6 < sizes[0] and sizes[-1] < 5e8
    else:
        assert 500 < sizes[0] and sizes[-1] < 6e5


def test_peak_flops_table():
    assert device_key("NVIDIA H100 80GB HBM3") == "H100"
    assert device_key("NVIDIA H100 PCIe") == "H100 PCIe"
    assert device_key("NVIDIA A100-SXM4-40GB") == "A100"
    assert device_key("NVIDIA A10") == "A10"
    assert device_key("Tesla V100-SXM2-16GB") == "V100"
    assert peak_flops("NVIDIA H100 80GB HBM3", "bf16") == pytest.approx(989.4e12)
    assert peak_flops("NVIDIA A100-SXM4-80GB", "bf16") == pytest.approx(312e12)
    assert peak_flops("NVIDIA GeForce RTX 4090") == pytest.approx(165.2e12)
    assert peak_flops("Some Unknown GPU") is None
    assert peak_flops("cpu", "fp32", cpu_cores=2) == 2 * PEAK_FLOPS["cpu"]["fp32"]
    for key, row in PEAK_FLOPS.items():
        assert set(row) == {"bf16", "fp16", "tf32", "fp32"}, key


def test_padded_vocabulary_changes_neither_initial_values_nor_the_loss():
    plain = GPTConfig(n_layer=2, n_head=2, n_embd=32, block_size=16, vocab_size=61)
    padded = GPTConfig(**{**plain.to_dict(), "vocab_multiple": 64})
    assert padded.padded_vocab_size == 64 and GPTConfig(vocab_multiple=64).padded_vocab_size == 50304
    torch.manual_seed(0)
    a = GPT(plain)
    torch.manual_seed(0)
    b = GPT(padded)
    for name, value in a.state_dict().items():
        assert torch.equal(b.state_dict()[name][:len(value)], value), name
    assert not b.lm_head.weight[61:].any()
    x = torch.randint(0, 61, (3, 17))
    (logits_a, loss_a), (logits_b, loss_b) = a(x[:, :-1], x[:, 1:]), b(x[:, :-1], x[:, 1:])
    assert logits_b.shape == logits_a.shape == (3, 16, 61)
    assert torch.equal(loss_a, loss_b)
    loss_a.backward()
    loss_b.backward()
    assert torch.equal(a.lm_head.weight.grad, b.lm_head.weight.grad[:61])
    assert not b.lm_head.weight.grad[61:].any()
    # the conventions count the real vocabulary; the module holds (64 - 61) x n_embd padding values
    assert counting.param_counts(padded) == counting.param_counts(plain)
    assert n_module_params(padded) == counting.params_total(plain) + 3 * 32


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_chunked_cross_entropy_matches_the_float32_loss_and_gradient(dtype):
    from torch.nn import functional as F
    from scalinglab.model import ChunkedCrossEntropy, cross_entropy
    torch.manual_seed(1)
    logits = (3 * torch.randn(300, 64)).to(dtype).requires_grad_()
    targets = torch.randint(0, 61, (300,))
    ours = cross_entropy(logits, targets, 61)
    (grad_ours,) = torch.autograd.grad(ours, logits)
    ref = F.cross_entropy(logits[:, :61].float(), targets)
    (grad_ref,) = torch.autograd.grad(ref, logits)
    assert ours.dtype == torch.float32 and ours.item() == pytest.approx(ref.item(), rel=1e-6)
    assert grad_ours.dtype == dtype and not grad_ours[:, 61:].any()
    torch.testing.assert_close(grad_ours.float(), grad_ref.float(), rtol=0, atol=2e-5)
    # many row blocks (7 rows each) give the same loss and gradient as one
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ChunkedCrossEntropy, "block_values", 7 * 61)
        blocked = cross_entropy(logits, targets, 61)
        (grad_blocked,) = torch.autograd.grad(blocked, logits)
    assert blocked.item() == pytest.approx(ours.item(), rel=1e-6)
    torch.testing.assert_close(grad_blocked, grad_ours, rtol=0, atol=0)
