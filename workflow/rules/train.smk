# Rules: train. One job per (experiment, run): a GPT-2-family model on one nested data subset.
# The science is scalinglab.train; the script only writes the run spec and starts the process
# (torchrun with one process per GPU when a run asks for more than one).


# Fail at parse time, before any job starts: unknown keys, bad values, unknown models, n_embd % n_head.
for _experiment in config["experiments"]:
    _settings = train_settings(_experiment)
    _where = f"experiments.{_experiment}.train"
    try:
        # micro_batch x block_size x processes must divide batch_tokens: the job's processes are its gpus
        check_world(
            TrainConfig.from_dict(_settings, where=_where),
            max(1, int(_settings.get("resources", {}).get("gpus", 0))),
            _where,
        )
        check_budget_models(_experiment)
        for _model in config["experiments"][_experiment]["models"]:
            GPTConfig(
                **model_shape(_model, config["models"]),
                block_size=_settings["block_size"],
            )
    except ValueError as err:
        sys.exit(f"config error: experiments.{_experiment}: {err}")


localrules:
    train_preflight,


rule train_preflight:
    """Settings against what exists only after the data stage (tokens per subset) and the job's
    process count: a config error fails here once (retries: 0), before any training job starts,
    instead of failing each training job `retries` + 1 times (on Slurm, each time a new batch job).
    """
    input:
        train=lambda wc: experiment_subsets(wc.experiment),
        val=VAL_JSON,
    output:
        preflight=preflight_json("{experiment}"),
    log:
        f"{RESULTS}/logs/train/{{experiment}}/preflight.log",
    retries: 0
    conda:
        TRAIN_ENV
    params:
        settings=lambda wc: train_settings(wc.experiment),
        gpus=lambda wc: train_resources(wc.experiment)["gpus"],
        where=lambda wc: f"experiments.{wc.experiment}.train",
    script:
        STAGE


rule train:
    input:
        train=lambda wc: subset_json(train_run_spec(wc)["fraction"]),
        val=VAL_JSON,
        # not ancient(): Snakemake then skips the params trigger of a run whose preflight reruns,
        # and a changed training setting would not retrain (tests/test_rerun.py)
        preflight=preflight_json("{experiment}"),
    output:
        metrics=f"{RESULTS}/train/{{experiment}}/{{run}}/metrics.csv",
        summary=f"{RESULTS}/train/{{experiment}}/{{run}}/summary.json",
        weights=f"{RESULTS}/train/{{experiment}}/{{run}}/model.safetensors",
    log:
        f"{RESULTS}/logs/train/{{experiment}}/{{run}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{experiment}}/{{run}}.tsv"
    # A retried job resumes from its last checkpoint (results/train/<experiment>/<run>/checkpoints).
    retries: 2
    conda:
        TRAIN_ENV
    threads: lambda wc: train_resources(wc.experiment)["threads"]
    resources:
        gpu=lambda wc: train_resources(wc.experiment)["gpus"],
        cpus_per_gpu=lambda wc: max(
            1,
            train_resources(wc.experiment)["threads"]
            // max(1, train_resources(wc.experiment)["gpus"]),
        ),
        mem_mb=lambda wc, attempt: train_resources(wc.experiment)["mem_mb"]
        * min(attempt, 2),
        runtime=lambda wc, attempt: train_resources(wc.experiment)["runtime_min"]
        * attempt,
    params:
        identity=lambda wc: dict(train_run_spec(wc), run=wc.run),
        shape=lambda wc: model_shape(train_run_spec(wc)["model"], config["models"]),
        settings=lambda wc: train_settings(wc.experiment),
        gpus=lambda wc: train_resources(wc.experiment)["gpus"],
    script:
        STAGE


ALL_TARGETS += [
    s for experiment in config["experiments"] for s in run_summaries(experiment)
]
