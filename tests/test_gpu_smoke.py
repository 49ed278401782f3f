"""profiles/gpu-smoke: the demo DAG with every torch job on CUDA plans (dry run, no GPU needed)."""
from __future__ import annotations

import pytest
import yaml

from conftest import REPO
from test_profiles import dry_run, job_resources


def test_gpu_smoke_config_moves_every_torch_job_to_cuda_and_nothing_else():
    smoke = yaml.safe_load((REPO / "workflow/config/gpu-smoke.yaml").read_text())
    profile = yaml.safe_load((REPO / "profiles/gpu-smoke/profile.yaml").read_text())
    assert profile["configfile"] == ["workflow/config/demo.yaml", "workflow/config/gpu-smoke.yaml"]
    assert smoke["train"]["device"] == "cuda" and smoke["memory"]["device"] == "cuda"
    assert smoke["quantization"]["device"] == "cuda"
    assert smoke["question_formation"]["train"]["device"] == "cuda"
    assert smoke["capacity"]["device"] == "cuda"
    demo = yaml.safe_load((REPO / "workflow/config/demo.yaml").read_text())
    assert set(smoke["experiments"]) == set(demo["experiments"])  # every experiment gets its GPU


@pytest.mark.e2e  # a whole-DAG dry run (~5 s CPU)
def test_gpu_smoke_profile_plans_the_whole_demo_dag_on_gpus(tmp_path):
    out = dry_run(tmp_path, "--profile", "profiles/gpu-smoke", "--forceall", "--nolock")
    train = job_resources(out, "train")
    demo = yaml.safe_load((REPO / "workflow/config/demo.yaml").read_text())
    def models_at(e, budget):  # budget_models names the sizes of a budget's profile
        named = {float(b["budget"]): b["models"] for b in e.get("budget_models") or []}
        return named.get(budget, e["models"]) if budget is not None else e["models"]

    runs = sum(len(models_at(e, b)) * len(e["fractions"]) * len(e["seeds"])
               for e in demo["experiments"].values() for b in e.get("budgets") or [None])
    assert len(train) == runs and all(int(job["gpu"]) == 1 for job in train), train[:3]
    assert all(int(job.get("gpu") or 0) == 1 for job in job_resources(out, "capacity_search"))
    assert all(int(job.get("gpu") or 0) == 1 for job in job_resources(out, "memory_distances"))
