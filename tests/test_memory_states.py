"""Hidden-state extraction at planned next-token positions, checkpoints, bad inputs."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from scalinglab.memory.distances import nearest_neighbours
from scalinglab.memory.states import (Checkpoint, HubUnavailable, extract_states, own_checkpoint,
                                      plan_positions, pretrained_checkpoint)
from scalinglab.model import GPT, GPTConfig
from scalinglab.train.checkpoint import save_final_weights

CFG = GPTConfig(n_layer=2, n_head=2, n_embd=16, block_size=32, vocab_size=50)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("run")
    model = GPT(CFG)
    save_final_weights(model, d / "model.safetensors")
    (d / "summary.json").write_text(json.dumps(CFG.to_dict()))
    return d


def test_plan_positions_distinct_and_in_range():
    plan = plan_positions(10_000, 100, context=32, positions_per_window=7, min_context=4, seed=0, what="q")
    assert plan.count == 100 and len(plan.window_starts) == 15
    absolute = np.concatenate([s + p for s, p in zip(plan.window_starts, plan.positions)])
    assert len(np.unique(absolute)) == 100
    for p in plan.positions:
        assert p.min() >= 4 and p.max() <= 30  # next token (p + 1) stays inside the window
    again = plan_positions(10_000, 100, 32, 7, 4, seed=0, what="q")
    assert all(np.array_equal(a, b) for a, b in zip(plan.positions, again.positions))


def test_plan_positions_count_exceeds_data_is_one_line():
    with pytest.raises(ValueError, match=r"memory.memories=500 exceeds the data in the token file: 1000 tokens give 31 windows") as e:
        plan_positions(1000, 500, context=32, positions_per_window=8, min_context=4, seed=0, what="memory.memories")
    assert "\n" not in str(e.value) and "at most 248" in str(e.value)


def test_plan_positions_min_context_too_large():
    with pytest.raises(ValueError, match="lower memory.min_context"):
        plan_positions(1000, 5, context=8, positions_per_window=2, min_context=7, seed=0, what="q")


def test_extract_matches_full_forward(run_dir):
    ckpt = own_checkpoint(str(run_dir), final_layer_norm=False, device=torch.device("cpu"))
    assert ckpt.n_embd == 16 and ckpt.vocab_size == 50
    tokens = np.random.default_rng(0).integers(0, 50, size=2000).astype(np.uint16)
    plan = plan_positions(len(tokens), 40, context=32, positions_per_window=6, min_context=3, seed=1, what="q")
    out = extract_states(ckpt, tokens, plan, np.zeros((40, 16), np.float32), batch_size=3)
    # reference: the whole window through the same model, states picked afterwards
    ref_model = own_checkpoint(str(run_dir), final_layer_norm=False, device=torch.device("cpu"))
    rows = []
    for s, p in zip(plan.window_starts, plan.positions):
        ids = torch.from_numpy(tokens[s:s + 32].astype(np.int64))[None]
        with torch.no_grad():
            rows.append(ref_model.states(ids)[0, p].numpy())
    np.testing.assert_allclose(out, np.concatenate(rows), rtol=1e-4, atol=1e-5)


def test_final_layer_norm_switch(run_dir):
    tokens = np.random.default_rng(0).integers(0, 50, size=500).astype(np.uint16)
    plan = plan_positions(len(tokens), 10, 32, 5, 3, seed=2, what="q")
    cpu = torch.device("cpu")
    after = extract_states(own_checkpoint(str(run_dir), True, cpu), tokens, plan, np.zeros((10, 16), np.float32))
    before = extract_states(own_checkpoint(str(run_dir), False, cpu), tokens, plan, np.zeros((10, 16), np.float32))
    # LayerNorm output has (near) zero mean across the width; the raw residual stream does not
    assert np.abs(after.mean(1)).max() < 1e-4 < np.abs(before.mean(1)).max()


def test_token_outside_vocabulary(run_dir):
    ckpt = own_checkpoint(str(run_dir), True, torch.device("cpu"))
    tokens = np.full(200, 60, dtype=np.uint16)
    plan = plan_positions(len(tokens), 4, 32, 4, 2, seed=0, what="q")
    with pytest.raises(ValueError, match="token id 60 is outside .* vocabulary \\(50\\)"):
        extract_states(ckpt, tokens, plan, np.zeros((4, 16), np.float32))


def test_checkpoint_with_wrong_width_is_rejected(tmp_path, run_dir):
    """A summary that declares another width than the weights: one-line error naming both."""
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "model.safetensors").write_bytes((run_dir / "model.safetensors").read_bytes())
    (bad / "summary.json").write_text(json.dumps({**CFG.to_dict(), "n_embd": 32}))
    with pytest.raises(ValueError, match="does not match the shape") as e:
        own_checkpoint(str(bad), True, torch.device("cpu"))
    assert "\n" not in str(e.value)


def test_states_width_inconsistent_with_declared():
    ckpt = Checkpoint("fake", n_embd=8, vocab_size=10, block_size=16,
                      states=lambda idx: torch.zeros(*idx.shape, 12), device=torch.device("cpu"))
    plan = plan_positions(100, 2, 16, 2, 1, seed=0, what="q")
    with pytest.raises(ValueError, match="returned width 12 but declares n_embd=8"):
        extract_states(ckpt, np.zeros(100, np.uint16), plan, np.zeros((2, 8), np.float32))


def test_pretrained_offline_raises_hub_unavailable(tmp_path, monkeypatch):
    # an empty cache and no network: fails the same way with or without `transformers` installed
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(HubUnavailable, match="analysis runs on own checkpoints") as e:
        pretrained_checkpoint("gpt2", True, torch.device("cpu"))
    assert "\n" not in str(e.value)


def test_states_to_distances_end_to_end(run_dir):
    """Queries drawn from the memory text itself find themselves at distance 0."""
    ckpt = own_checkpoint(str(run_dir), True, torch.device("cpu"))
    tokens = np.random.default_rng(3).integers(0, 50, size=3000).astype(np.uint16)
    plan = plan_positions(len(tokens), 60, 32, 6, 3, seed=4, what="m")
    mem = extract_states(ckpt, tokens, plan, np.zeros((60, 16), np.float32))
    d, idx = nearest_neighbours(mem[:10], mem, chunk_size=7, device="cpu")
    np.testing.assert_allclose(d, 0.0, atol=1e-5)


def test_shared_suffix_counts_the_tokens_two_contexts_end_in():
    from scalinglab.memory.states import PositionPlan, plan_rows, shared_suffix

    plan = PositionPlan(window_starts=np.array([0, 10]), positions=[np.array([3, 5]), np.array([2])],
                        context=10)
    assert plan_rows(plan).tolist() == [3, 5, 12]
    qt = np.array([1, 2, 3, 4, 5, 6, 7])
    mt = np.array([9, 9, 3, 4, 5, 9, 7, 4])
    # query 4 (..3 4 5) vs memory 4 (..3 4 5): 3 shared, stops at the start of the memory's ...
    # query 6 (.. 7) vs memory 6 (.. 7): 1; query 3 vs memory 7 (4 vs 4, then 3 vs 7): 1;
    # query 0 vs memory 0 (1 vs 9): 0; max_length caps the count.
    got = shared_suffix(qt, np.array([4, 6, 3, 0]), mt, np.array([4, 6, 7, 0]), max_length=10)
    assert got.tolist() == [3, 1, 1, 0]
    assert shared_suffix(qt, np.array([4]), mt, np.array([4]), max_length=2).tolist() == [2]


def test_memory_distances_stage_reports_scale_and_repeats(run_dir, tmp_path):
    """The rule's stage on a tiny checkpoint: the summary carries the states' scale, the
    near-copies and the shared suffixes beside the distances. Every window holds the same 32
    tokens, so a query at a position some memory also has repeats that memory's whole context:
    exactly those queries are near-copies."""
    from scalinglab.data.tokens import TokenWriter
    from scalinglab.memory.stages import memory_distances

    rng = np.random.default_rng(0)
    tokens = np.tile(rng.integers(0, CFG.vocab_size - 1, 32), 40).astype(np.uint16)
    w = TokenWriter(tmp_path / "t.bin", CFG.vocab_size)
    w.write(tokens, documents=1)
    w.finish(tokenizer="test", eot_token=CFG.vocab_size - 1, source="test", seed=0, fraction=1.0)
    w.commit()
    out = {k: str(tmp_path / f"{k}.{ext}") for k, ext in (("queries", "npy"), ("memories", "npy"),
                                                          ("distances", "parquet"), ("histogram", "csv"),
                                                          ("summary", "json"))}
    memory_distances(val=str(tmp_path / "t.json"), train=str(tmp_path / "t.json"), **out, kind="own",
                     run_dir=str(run_dir), model=None, label="tiny", device="cpu", final_layer_norm=True,
                     context=32, n_queries=40, n_memories=40, positions_per_window=4, min_context=4,
                     batch_size=4, chunk_size=16, query_chunk=8, histogram_bins=10, seed=0,
                     require_pretrained=False)
    s = json.loads(Path(out["summary"]).read_text())
    q, m = np.load(out["queries"]), np.load(out["memories"])
    assert s["state_norm_mean"] == pytest.approx(np.linalg.norm(m, axis=1).mean(), rel=1e-6)
    assert s["query_norm_mean"] == pytest.approx(np.linalg.norm(q, axis=1).mean(), rel=1e-6)
    assert s["state_rms_coordinate"] == pytest.approx(np.sqrt((m ** 2).sum(1).mean() / CFG.n_embd), rel=1e-6)
    plans = [plan_positions(tokens.size, 40, 32, 4, 4, seed, "x") for seed in (0, 1)]
    q_pos, m_pos = (np.concatenate(p.positions) for p in plans)
    repeats = np.isin(q_pos, m_pos).mean()
    assert 0 < repeats < 1
    assert s["fraction_near_copies"] == pytest.approx(repeats)
    # a repeated context shares all its >= min_context + 1 tokens with its memory
    assert s["shared_suffix"]["fraction_at_least_2"] >= repeats
