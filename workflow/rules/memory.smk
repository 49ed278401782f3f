# Rules: associative memory (Niu et al. 2024). Per checkpoint (own data_fraction runs, optionally
# OpenAI's GPT-2): hidden states -> exact nearest-memory distances; then figure 2; energy landscapes
# (figure 1), data-fraction curves (figure 3) and the N-D allocation comparison (figure 5).
# The science lives in scalinglab.memory and scalinglab.memory.figures.


MEMORY_RESOURCES = dict(
    gpu=lambda wc: config["memory"]["gpus"],
    mem_mb=lambda wc: config["memory"]["mem_mb"],
    runtime=lambda wc: config["memory"]["runtime_min"],
)


# Figures, tables and downloads run on the submitting host (seconds; no cluster job).
localrules:
    memory_fig1_energy_landscapes,
    memory_fig2_distances,
    memory_fig3_data_fraction,
    memory_allocation,


rule memory_distances:
    """Hidden states at Q validation (queries) and M training (memories) positions, then the exact
    nearest-memory distance of every query (chunked matrix products), histogram and summary.
    """
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
    conda:
        ANALYSIS_ENV
    resources:
        **MEMORY_RESOURCES,
    params:
        kind=lambda wc: memory_spec(wc)["kind"],
        run_dir=lambda wc: memory_spec(wc)["run_dir"],
        model=lambda wc: memory_spec(wc)["model"],
        label=lambda wc: memory_label(memory_spec(wc)),
        device=config["memory"]["device"],
        final_layer_norm=config["memory"]["final_layer_norm"],
        context=config["memory"]["context"],
        n_queries=config["memory"]["queries"],
        n_memories=config["memory"]["memories"],
        positions_per_window=config["memory"]["positions_per_window"],
        min_context=config["memory"]["min_context"],
        batch_size=config["memory"]["batch_size"],
        chunk_size=config["memory"]["chunk_size"],
        query_chunk=config["memory"]["query_chunk"],
        histogram_bins=config["memory"]["histogram_bins"],
        seed=config["memory"]["seed"],
        require_pretrained=config["memory"]["pretrained"]["require"],
    script:
        STAGE


rule memory_fig1_energy_landscapes:
    """Figure 1: energy landscapes of three 2-D patterns (Niu et al. 2024, Fig. 1)."""
    output:
        figure=report(
            figure("memory_fig1_energy_landscapes"),
            caption="../report/memory_fig1_energy_landscapes.rst",
            category="Niu et al. 2024",
            labels={"figure": "01 energy landscapes"},
        ),
    log:
        f"{RESULTS}/logs/memory/memory_fig1_energy_landscapes.log",
    conda:
        ANALYSIS_ENV
    params:
        patterns=config["memory"]["energy"]["patterns"],
        second_layer_patterns=config["memory"]["energy"]["second_layer_patterns"],
        beta=config["memory"]["energy"]["beta"],
        extent=config["memory"]["energy"]["extent"],
        resolution=config["memory"]["energy"]["resolution"],
    script:
        STAGE


rule memory_fig2_distances:
    """Figure 2: nearest-memory distance histograms with the theoretical radius."""
    input:
        summaries=lambda wc: [
            f"{MEMORY}/{c}/summary.json" for c in memory_checkpoints()
        ],
        histograms=lambda wc: [
            f"{MEMORY}/{c}/histogram.csv" for c in memory_checkpoints()
        ],
    output:
        figure=report(
            figure("memory_fig2_distances"),
            caption="../report/memory_fig2_distances.rst",
            category="Niu et al. 2024",
            labels={"figure": "02 memory distances"},
        ),
        table=report(
            f"{MEMORY}/distance_summary.csv",
            caption="../report/memory_distances_table.rst",
            category="Niu et al. 2024",
            labels={"table": "nearest distance against radius"},
        ),
    log:
        f"{RESULTS}/logs/memory/memory_fig2_distances.log",
    conda:
        ANALYSIS_ENV
    script:
        STAGE


rule memory_fig3_data_fraction:
    """Figure 3: train/validation loss at 100%, 1%, 0.1% of the data (Niu et al. 2024, Fig. 3)."""
    input:
        metrics=lambda wc: run_metrics(config["memory"]["experiment"]),
        summaries=lambda wc: run_summaries(config["memory"]["experiment"]),
    output:
        figure=report(
            figure("memory_fig3_data_fraction"),
            caption="../report/memory_fig3_data_fraction.rst",
            category="Niu et al. 2024",
            labels={"figure": "03 data-fraction curves"},
        ),
    log:
        f"{RESULTS}/logs/memory/memory_fig3_data_fraction.log",
    conda:
        ANALYSIS_ENV
    script:
        STAGE


rule memory_allocation:
    """Figure 5: N = O(D²) beside Kaplan's and Chinchilla's allocations."""
    output:
        figure=report(
            figure("memory_allocation"),
            caption="../report/memory_allocation.rst",
            category="Niu et al. 2024",
            labels={"figure": "05 N against D allocations"},
        ),
        table=f"{MEMORY}/allocation_exponents.csv",
    log:
        f"{RESULTS}/logs/memory/memory_allocation.log",
    conda:
        ANALYSIS_ENV
    params:
        tokens_min=config["memory"]["allocation"]["tokens_min"],
        tokens_max=config["memory"]["allocation"]["tokens_max"],
        anchor_compute=config["memory"]["allocation"]["anchor_compute"],
    script:
        STAGE


ALL_TARGETS.extend(
    [
        rules.memory_fig1_energy_landscapes.output.figure,
        rules.memory_fig2_distances.output.figure,
        rules.memory_fig2_distances.output.table,
        rules.memory_fig3_data_fraction.output.figure,
        rules.memory_allocation.output.figure,
        rules.memory_allocation.output.table,
    ]
)
