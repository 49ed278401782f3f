"""Training engine: learning, overfitting, bit-exact resume after SIGKILL, outputs, bad input."""
from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from scalinglab import counting
from scalinglab.data.tokens import TokenWriter
from scalinglab.model import GPT, GPTConfig
from scalinglab.train import METRICS_COLUMNS, TrainConfig, TrainingError, load_model, lr_at, plan_steps, train_run
from scalinglab.train.data import EpochSampler, fixed_windows

REPO = Path(__file__).resolve().parents[1]
VOCAB = 64
WALL_CLOCK = ["tokens_per_s", "mfu"]  # the only columns allowed to differ between identical runs


def markov_tokens(n: int, seed: int) -> np.ndarray:
    """A learnable stream: next = (3 t + 1) mod V with probability 0.8, else uniform."""
    rng = np.random.default_rng(seed)
    out = np.empty(n, dtype=np.int64)
    out[0] = 1
    noise, jumps = rng.random(n), rng.integers(0, VOCAB, n)
    for i in range(1, n):
        out[i] = (3 * out[i - 1] + 1) % VOCAB if noise[i] < 0.8 else jumps[i]
    return out


def write_tokens(path: Path, tokens: np.ndarray) -> str:
    w = TokenWriter(path.with_suffix(".bin"), VOCAB)
    w.write(tokens, documents=1)
    w.finish(tokenizer="test", eot_token=VOCAB - 1, source="test", seed=0, fraction=1.0)
    w.commit()
    return str(path.with_suffix(".json"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("tokens")
    return dict(big=write_tokens(d / "big", markov_tokens(40_000, 1)),
                tiny=write_tokens(d / "tiny", markov_tokens(600, 2)),
                val=write_tokens(d / "val", markov_tokens(8_000, 3)))


def make_spec(run_dir, corpus, subset="big", **train) -> dict:
    settings = dict(block_size=32, batch_tokens=512, micro_batch=8, max_steps=40, lr=3e-3, min_lr=3e-4,
                    warmup_steps=4, eval_interval=10, eval_batches=4, log_interval=1000,
                    checkpoint_interval=10, keep_checkpoints=2)
    settings.update(train)
    return dict(run_dir=str(run_dir), train_data=corpus[subset], val_data=corpus["val"],
                identity=dict(experiment="t", run=Path(run_dir).name, model="tiny", fraction=1.0, seed=0,
                              budget=None),
                model=dict(n_layer=2, n_head=2, n_embd=32), train=settings, threads=1)


def test_loss_falls_and_outputs_follow_the_contract(tmp_path, corpus):
    summary = train_run(make_spec(tmp_path / "run", corpus))
    m = pd.read_csv(tmp_path / "run" / "metrics.csv")
    assert list(m.columns) == METRICS_COLUMNS
    assert m.step.tolist() == [0, 10, 20, 30, 40]
    assert m.val_loss.iloc[0] == pytest.approx(np.log(VOCAB), abs=0.3)  # near-uniform at init
    assert m.val_loss.iloc[-1] < m.val_loss.iloc[0] - 1.0
    assert (m.tokens == m.step * 512).all() and (m.flops_convention == "6N").all()
    cfg = GPTConfig(n_layer=2, n_head=2, n_embd=32, block_size=32, vocab_size=VOCAB)
    assert (m.flops == m.tokens * counting.flops_per_token(cfg, "6N")).all()
    assert m.epoch.iloc[-1] == pytest.approx(40 * 16 / ((40_000 - 1) // 32))
    s = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert s == json.loads(json.dumps(summary))
    for key in ["experiment", "run", "model", "fraction", "seed", "budget", "n_layer", "n_head", "n_embd",
                "block_size", "vocab_size", "params_total", "params_non_embedding", "params_with_head",
                "tokens", "steps", "epochs", "flops", "flops_convention", "final_train_loss",
                "final_val_loss", "best_val_loss"]:
        assert key in s, key
    assert s["params_total"] == counting.params_total(cfg) and s["tokens"] == 40 * 512
    assert s["final_val_loss"] == m.val_loss.iloc[-1] and s["best_val_loss"] == m.val_loss.min()
    # The weights reload through the public API and give the recorded loss.
    model = load_model(tmp_path / "run")
    assert model.config == GPTConfig(**{**cfg.to_dict(), "vocab_multiple": 64})  # the trainer pads
    assert len(list((tmp_path / "run" / "checkpoints").glob("step_*.pt"))) == 2  # keep last K
    assert not (tmp_path / "run" / "metrics.partial.csv").exists()


def test_tiny_model_overfits_a_tiny_subset(tmp_path, corpus):
    # 600 tokens = 18 windows; 150 steps x 16 sequences = ~130 epochs: the 0.1% phenomenon in miniature.
    spec = make_spec(tmp_path / "run", corpus, subset="tiny", max_steps=150, eval_interval=50,
                     weight_decay=0.0, checkpoint_interval=1000, lr=1e-2, min_lr=1e-3)
    spec["model"] = dict(n_layer=2, n_head=2, n_embd=64)
    s = train_run(spec)
    assert s["epochs"] > 100
    assert s["final_train_loss"] < 0.5 * s["final_val_loss"], s


def test_budget_runs_use_tokens_equal_budget_over_6N():
    cfg = GPTConfig(n_layer=2, n_head=2, n_embd=32, block_size=32, vocab_size=VOCAB)
    tc = TrainConfig(block_size=32, batch_tokens=512, micro_batch=8)
    budget = 6 * counting.params_non_embedding(cfg) * 512 * 100
    steps, plan = plan_steps(tc, cfg, budget)
    assert steps == 100 and plan["tokens_target"] == 51_200
    assert plan_steps(TrainConfig(max_tokens=512 * 7, batch_tokens=512, micro_batch=16, block_size=32), cfg, None)[0] == 7


def test_lr_schedule_warmup_then_cosine():
    tc = TrainConfig(lr=1.0, min_lr=0.1, warmup_steps=10)
    lrs = [lr_at(s, tc, 110) for s in range(110)]
    assert lrs[0] == pytest.approx(1 / 11) and lrs[9] == pytest.approx(10 / 11)
    assert lrs[10] == pytest.approx(1.0)
    assert lrs[60] == pytest.approx(0.55)
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:])) and lrs[-1] > 0.1
    assert lr_at(500, tc, 110) == 0.1


def test_epoch_sampler_visits_every_window_once_per_epoch():
    s = EpochSampler(37, seed=5)
    ids = s.window_ids(0, 37 * 3)
    for e in range(3):
        assert sorted(ids[37 * e:37 * (e + 1)]) == list(range(37))
    assert not np.array_equal(ids[:37], ids[37:74])  # a new order each epoch
    np.testing.assert_array_equal(ids[50:60], EpochSampler(37, seed=5).window_ids(50, 10))  # stateless
    assert len(fixed_windows(37, 100, seed=None)) == 37


def _run_cli(spec_path, **kw):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "scalinglab.train", "--spec", str(spec_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=REPO, **kw)


def test_sigkill_and_resume_gives_bit_identical_metrics(tmp_path, corpus, kill_after_checkpoint=3):
    # dropout on: the resumed run must also restore torch's RNG exactly. The kill lands anywhere
    # after checkpoint 3 (mid-step, mid-eval or mid-save), so the resumed run replays some steps.
    common = dict(max_steps=28, eval_interval=4, checkpoint_interval=4, dropout=0.1, keep_checkpoints=3)
    ref = make_spec(tmp_path / "ref", corpus, **common)
    train_run(copy.deepcopy(ref))

    spec = make_spec(tmp_path / "killed", corpus, **common)
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec))
    proc = _run_cli(spec_path)
    ckpts = tmp_path / "killed" / "checkpoints"
    target = ckpts / f"step_{4 * kill_after_checkpoint:08d}.pt"
    deadline = time.time() + 120
    while not target.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)  # mid-step, somewhere after that checkpoint
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not (tmp_path / "killed" / "summary.json").exists()  # outputs only when finished

    out = _run_cli(spec_path).communicate(timeout=300)[0].decode()
    assert "resumed" in out, out
    a = pd.read_csv(tmp_path / "ref" / "metrics.csv").drop(columns=WALL_CLOCK)
    b = pd.read_csv(tmp_path / "killed" / "metrics.csv").drop(columns=WALL_CLOCK)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    wa = load_model(tmp_path / "ref").state_dict()
    wb = load_model(tmp_path / "killed").state_dict()
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_nan_loss_stops_naming_the_step_and_keeps_the_last_good_checkpoint(tmp_path, corpus):
    spec = make_spec(tmp_path / "run", corpus, max_steps=30, checkpoint_interval=2, lr=1e9, min_lr=1e8,
                     warmup_steps=0, grad_clip=0.0)
    with pytest.raises(TrainingError, match=r"non-finite loss .* at step \d+; last good checkpoint"):
        train_run(spec)
    assert not (tmp_path / "run" / "summary.json").exists()
    for ckpt in (tmp_path / "run" / "checkpoints").glob("*.pt"):
        state = torch.load(ckpt, weights_only=True)
        assert all(torch.isfinite(v).all() for v in state["model"].values())


def test_out_of_memory_names_the_micro_batch_knob(tmp_path, corpus, monkeypatch):
    def oom(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
    spec = make_spec(tmp_path / "run", corpus)
    monkeypatch.setattr(GPT, "forward", lambda self, idx, targets=None: oom() if self.training else
                        (torch.zeros(idx.shape + (VOCAB,)), torch.tensor(1.0)))
    with pytest.raises(TrainingError, match="out of memory with train.micro_batch=8.*lower train.micro_batch"):
        train_run(spec)


BAD_CONFIGS = [
    (dict(model=dict(n_layer=2, n_head=3, n_embd=32)), "n_embd=32 is not divisible by n_head=3"),
    (dict(train=dict(block_size=1024, batch_tokens=8192)), r"block_size=1024 needs at least 1025 tokens"),
    (dict(train=dict(learning_rate=1e-3)), "unknown key train.learning_rate"),
    (dict(train=dict(batch_tokens=1000)), r"batch_tokens=1000 is not a multiple of micro_batch"),
    (dict(train=dict(min_lr=1.0)), "need 0 < min_lr <= lr"),
    (dict(train=dict(flops_convention="7N")), "flops_convention='7N'"),
]


def _bad_spec(tmp_path, corpus, change):
    spec = make_spec(tmp_path / "run", corpus, subset="tiny")
    for key, value in change.items():
        spec[key] = {**spec[key], **value} if key == "train" else value
    return spec


@pytest.mark.parametrize("change,message", BAD_CONFIGS)
def test_bad_configs_fail_clearly_before_training(tmp_path, corpus, change, message):
    with pytest.raises(ValueError, match=message) as err:
        train_run(_bad_spec(tmp_path, corpus, change))
    assert "\n" not in str(err.value)  # one line
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_cli_reports_bad_input_in_one_line(tmp_path, corpus):
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(_bad_spec(tmp_path, corpus, BAD_CONFIGS[1][0])))
    proc = _run_cli(spec_path)
    out = proc.communicate(timeout=120)[0].decode()
    assert proc.returncode == 78 and "Traceback" not in out, out  # EX_CONFIG: a retry would fail again
    assert out.strip().splitlines()[-1].startswith("error: train.block_size=1024 needs at least 1025 tokens")


def test_changed_config_refuses_to_resume_and_bad_weights_fail_clearly(tmp_path, corpus):
    train_run(make_spec(tmp_path / "run", corpus, max_steps=10))
    (tmp_path / "run" / "summary.json").unlink()
    with pytest.raises(TrainingError, match="different train"):
        train_run(make_spec(tmp_path / "run", corpus, max_steps=10, lr=1e-3))
    # A summary that disagrees with the weights: load_model names both.
    train_run(make_spec(tmp_path / "run2", corpus, max_steps=10))
    s = json.loads((tmp_path / "run2" / "summary.json").read_text())
    s["n_embd"] = 64
    (tmp_path / "run2" / "summary.json").write_text(json.dumps(s))
    with pytest.raises(ValueError, match="does not match the shape"):
        load_model(tmp_path / "run2")
    with pytest.raises(FileNotFoundError, match="finished training run"):
        load_model(tmp_path / "nothing")


def test_schema_train_keys_match_the_trainer():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    train = schema["$defs"]["train_settings"]["properties"]  # global and experiment `train:` alike
    assert schema["properties"]["train"]["$ref"] == "#/$defs/train_settings"
    fields = set(TrainConfig.__dataclass_fields__)
    assert set(train) == fields | {"resources"}
    for name in fields:  # the schema's defaults are the dataclass's defaults
        assert train[name]["default"] == getattr(TrainConfig(), name), name


def test_padded_vocabulary_trains_exactly_like_the_unpadded_one(tmp_path):
    """vocab 61 padded to 64: same initial values, the padded logits never reach the loss, so every
    metric (losses, gradient norms) matches the unpadded run; the counts use the real vocabulary."""
    rng_tokens = markov_tokens(20_000, 4) % 61
    w = TokenWriter(tmp_path / "v61.bin", 61)
    w.write(rng_tokens, documents=1)
    w.finish(tokenizer="test", eot_token=60, source="test", seed=0, fraction=1.0)
    w.commit()
    data = dict(big=str(tmp_path / "v61.json"), val=str(tmp_path / "v61.json"))
    runs = {}
    for multiple in (1, 64):
        runs[multiple] = train_run(make_spec(tmp_path / f"m{multiple}", data, max_steps=12, eval_interval=4,
                                             checkpoint_interval=100, vocab_multiple=multiple))
    a, b = (pd.read_csv(tmp_path / f"m{m}" / "metrics.csv").drop(columns=WALL_CLOCK) for m in (1, 64))
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert runs[64]["padded_vocab_size"] == 64 and runs[1]["padded_vocab_size"] == 61
    assert runs[64]["params_total"] == runs[1]["params_total"]
    model = load_model(tmp_path / "m64")
    assert model.lm_head.weight.shape[0] == 64 and model.config.vocab_size == 61
    assert model(torch.zeros(1, 5, dtype=torch.long))[0].shape == (1, 5, 61)  # no padding logit escapes


def test_fp16_scales_the_loss_and_resumes_the_scaler(tmp_path, corpus):
    spec = make_spec(tmp_path / "run", corpus, max_steps=20, dtype="fp16", checkpoint_interval=10)
    first = train_run(copy.deepcopy(spec))
    assert first["dtype"] == "fp16" and first["final_val_loss"] < np.log(VOCAB) - 0.5
    state = torch.load(tmp_path / "run" / "checkpoints" / "step_00000020.pt", weights_only=True)
    assert state["scaler"]["scale"] > 1 and state["scaler"]["_growth_tracker"] == 20
    # resume from step 10: the scaler's state comes back with the rest (20 good steps in a row)
    (tmp_path / "run" / "checkpoints" / "step_00000020.pt").unlink()
    (tmp_path / "run" / "summary.json").unlink()
    train_run(spec)
    state = torch.load(tmp_path / "run" / "checkpoints" / "step_00000020.pt", weights_only=True)
    assert state["scaler"]["_growth_tracker"] == 20


def test_device_settings_resolve_to_an_indexed_device(monkeypatch):
    from scalinglab.devices import resolve_device
    assert resolve_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="train.device='cuda' but no CUDA device is visible"):
            resolve_device("cuda", "train.device")
        assert resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("LOCAL_RANK", "3")
    assert resolve_device("cuda") == torch.device("cuda:3")  # set_device needs the index
    assert resolve_device("auto") == torch.device("cuda:3")
    assert resolve_device("cuda:1") == torch.device("cuda:1")
    with pytest.raises(ValueError, match="'gpu' is not a torch device"):
        resolve_device("gpu")


def test_divergence_checked_once_per_log_interval_names_the_same_first_bad_step(tmp_path, corpus):
    """Reading the loss back once per log interval (not every step) loses nothing: the error names
    the same first non-finite step as a check every step, and no diverged state is saved."""
    steps = {}
    for log_interval in (1, 7):
        spec = make_spec(tmp_path / f"log{log_interval}", corpus, max_steps=30, checkpoint_interval=1000,
                         eval_interval=1000, log_interval=log_interval, lr=1e9, min_lr=1e8,
                         warmup_steps=0, grad_clip=0.0)
        with pytest.raises(TrainingError, match=r"at step (\d+);") as err:
            train_run(spec)
        steps[log_interval] = int(str(err.value).split("at step ")[1].split(";")[0])
        assert not (tmp_path / f"log{log_interval}" / "checkpoints").exists()
    assert steps[1] == steps[7], steps
