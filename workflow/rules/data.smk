# Rules: the data stage. One job turns the configured source into results/data/val.bin and the
# nested subsets results/data/subsets/<label>.bin, each with its JSON sidecar (README, "File formats").


_check_experiment_fractions()

DATA_OUTPUTS = {"val_bin": f"{RESULTS}/data/val.bin", "val": VAL_JSON}
for _f in config["data"]["fractions"]:
    DATA_OUTPUTS[f"bin_{fraction_label(_f)}"] = (
        subset_json(_f)[: -len(".json")] + ".bin"
    )
    DATA_OUTPUTS[f"json_{fraction_label(_f)}"] = subset_json(_f)


rule prepare_data:
    """Corpus -> tokens -> fixed validation split and nested training subsets."""
    output:
        **DATA_OUTPUTS,
    log:
        f"{RESULTS}/logs/data/prepare_data.log",
    benchmark:
        f"{RESULTS}/benchmarks/data/prepare_data.tsv"
    conda:
        TRAIN_ENV
    threads: 16  # capped at --cores locally; the CPUs a cluster job asks for
    resources:
        mem_mb=4000,
        runtime=24 * 60,
        disk_mb=60_000,
    params:
        settings=config["data"],
        seed=(
            config["seed"]
            if config["data"]["seed"] is None
            else config["data"]["seed"]
        ),
    script:
        STAGE


ALL_TARGETS.extend([VAL_JSON] + [subset_json(f) for f in config["data"]["fractions"]])
