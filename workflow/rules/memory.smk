# Rules: associative memory (Niu et al. 2024). Per checkpoint (own data_fraction runs, optionally
# OpenAI's GPT-2): hidden states -> exact nearest-memory distances; then figure 2; energy landscapes
# (figure 1), data-fraction curves (figure 3) and the N-D allocation comparison (figure 5).
# The science lives in scalinglab.memory and scalinglab.memory.figures.
MEMORY = f"{RESULTS}/memory"


def memory_checkpoints():
    """{checkpoint id: spec}: one per run of memory.experiment, plus `openai-<model>` when enabled."""
    m = config["memory"]
    if m["experiment"] not in config["experiments"]:
        raise ValueError(f"memory.experiment={m['experiment']!r} is not under `experiments:` "
                         f"(known: {', '.join(config['experiments']) or 'none'}); name one of them")
    ids = {run: dict(kind="own", run=run, run_dir=run_dir(m["experiment"], run), model=None,
                     fraction=spec["fraction"])
           for run, spec in experiment_runs(m["experiment"]).items()}
    if m["pretrained"]["enabled"]:
        for model in m["pretrained"]["models"]:
            ids[f"openai-{model}"] = dict(kind="pretrained", run=None, run_dir=None, model=model,
                                          fraction=m["pretrained"]["memory_fraction"])
    return ids


def memory_spec(wildcards):
    ids = memory_checkpoints()
    if wildcards.checkpoint not in ids:
        raise ValueError(f"memory checkpoint {wildcards.checkpoint!r} is unknown (known: {', '.join(ids)})")
    return ids[wildcards.checkpoint]


def memory_states_input(wildcards):
    spec = memory_spec(wildcards)
    inputs = dict(val=VAL_JSON, train=subset_json(spec["fraction"]))
    if spec["kind"] == "own":
        inputs.update(summary=f"{spec['run_dir']}/summary.json", weights=f"{spec['run_dir']}/model.safetensors")
    return inputs


MEMORY_RESOURCES = dict(
    gpu=lambda wc: config["memory"]["gpus"],
    mem_mb=lambda wc: config["memory"]["mem_mb"],
    runtime=lambda wc: config["memory"]["runtime_min"],
)


def memory_label(spec):
    if spec["kind"] == "pretrained":
        return f"OpenAI {spec['model']}"
    run = experiment_runs(config["memory"]["experiment"])[spec["run"]]
    return f"{run['model']} @ {run['fraction'] * 100:g}% of the data"


rule memory_distances:
    """Hidden states at Q validation (queries) and M training (memories) positions, then the exact
    nearest-memory distance of every query (chunked matrix products), histogram and summary."""
    input:
        unpack(memory_states_input),
    output:
        queries=f"{MEMORY}/{{checkpoint}}/queries.npy",
        memories=f"{MEMORY}/{{checkpoint}}/memories.npy",
        distances=f"{MEMORY}/{{checkpoint}}/distances.parquet",
        histogram=f"{MEMORY}/{{checkpoint}}/histogram.csv",
        summary=f"{MEMORY}/{{checkpoint}}/summary.json",
    log:
        f"{RESULTS}/logs/memory/{{checkpoint}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/memory/{{checkpoint}}.tsv"
    params:
        kind=lambda wc: memory_spec(wc)["kind"],
        run_dir=lambda wc: memory_spec(wc)["run_dir"],
        model=lambda wc: memory_spec(wc)["model"],
        label=lambda wc: memory_label(memory_spec(wc)),
    resources:
        **MEMORY_RESOURCES,
    script:
        "../scripts/memory_distances.py"


rule memory_fig1_energy_landscapes:
    """Figure 1: energy landscapes of three 2-D patterns (Niu et al. 2024, Fig. 1)."""
    output:
        figure=report(figure("memory_fig1_energy_landscapes"), caption="../report/memory_fig1_energy_landscapes.rst",
                      category=report_category("niu"), labels={"figure": "01 energy landscapes"}),
    log:
        f"{RESULTS}/logs/memory/memory_fig1_energy_landscapes.log",
    script:
        "../scripts/memory_fig1_energy_landscapes.py"


rule memory_fig2_distances:
    """Figure 2: nearest-memory distance histograms with the theoretical radius."""
    input:
        summaries=lambda wc: [f"{MEMORY}/{c}/summary.json" for c in memory_checkpoints()],
        distances=lambda wc: [f"{MEMORY}/{c}/distances.parquet" for c in memory_checkpoints()],
    output:
        figure=report(figure("memory_fig2_distances"), caption="../report/memory_fig2_distances.rst",
                      category=report_category("niu"), labels={"figure": "02 memory distances"}),
        table=report(f"{MEMORY}/distance_summary.csv", caption="../report/memory_distances_table.rst",
                     category=report_category("niu"), labels={"table": "nearest distance against radius"}),
    log:
        f"{RESULTS}/logs/memory/memory_fig2_distances.log",
    script:
        "../scripts/memory_fig2_distances.py"


rule memory_fig3_data_fraction:
    """Figure 3: train/validation loss at 100%, 1%, 0.1% of the data (Niu et al. 2024, Fig. 3)."""
    input:
        metrics=lambda wc: run_metrics(config["memory"]["experiment"]),
        summaries=lambda wc: run_summaries(config["memory"]["experiment"]),
    output:
        figure=report(figure("memory_fig3_data_fraction"), caption="../report/memory_fig3_data_fraction.rst",
                      category=report_category("niu"), labels={"figure": "03 data-fraction curves"}),
    log:
        f"{RESULTS}/logs/memory/memory_fig3_data_fraction.log",
    script:
        "../scripts/memory_fig3_data_fraction.py"


rule memory_allocation:
    """Figure 5: N = O(D²) beside Kaplan's and Chinchilla's allocations."""
    output:
        figure=report(figure("memory_allocation"), caption="../report/memory_allocation.rst",
                      category=report_category("niu"), labels={"figure": "05 N against D allocations"}),
        table=f"{MEMORY}/allocation_exponents.csv",
    log:
        f"{RESULTS}/logs/memory/memory_allocation.log",
    script:
        "../scripts/memory_allocation.py"


ALL_TARGETS.extend([
    rules.memory_fig1_energy_landscapes.output.figure,
    rules.memory_fig2_distances.output.figure,
    rules.memory_fig2_distances.output.table,
    rules.memory_fig3_data_fraction.output.figure,
    rules.memory_allocation.output.figure,
    rules.memory_allocation.output.table,
])
