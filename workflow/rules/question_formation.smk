# Rules: question formation (Niu et al. 2024 §6.3 on McCoy, Frank & Linzen 2020's task).
# data (McCoy's files or the generator) -> a vanilla Transformer, loss every step -> figure 4
# (loss with its stepwise drops, its entropy floor and Niu et al. §5's ≈1-nat claim) + the accuracy table.
# The science lives in scalinglab.question_formation, scalinglab.memory.bound, scalinglab.question_formation.figures.


# Figures, tables and downloads run on the submitting host (seconds; no cluster job).
localrules:
    question_formation_fig4,


rule question_formation_data:
    """Question-formation pairs in McCoy et al.'s line format: train, test, generalisation."""
    output:
        train=f"{QUESTION_FORMATION}/data/train.txt",
        test=f"{QUESTION_FORMATION}/data/test.txt",
        gen=f"{QUESTION_FORMATION}/data/gen.txt",
        meta=f"{QUESTION_FORMATION}/data/data.json",
    log:
        f"{RESULTS}/logs/question_formation/data.log",
    conda:
        ANALYSIS_ENV
    params:
        source=config["question_formation"]["source"],
        url=lambda wc: config["question_formation"]["url"],  # holds "{split}": not a wildcard
        train_pairs=config["question_formation"]["train_pairs"],
        test_pairs=config["question_formation"]["test_pairs"],
        gen_pairs=config["question_formation"]["gen_pairs"],
        seed=config["question_formation"]["seed"],
        quest_fraction=config["question_formation"]["quest_fraction"],
        withhold_subject_rc_questions=config["question_formation"][
            "withhold_subject_rc_questions"
        ],
    script:
        STAGE


rule question_formation_train:
    """A vanilla decoder-only Transformer on `source . marker target`; loss.csv every step."""
    input:
        train=rules.question_formation_data.output.train,
        test=rules.question_formation_data.output.test,
        gen=rules.question_formation_data.output.gen,
        meta=rules.question_formation_data.output.meta,
    output:
        loss=f"{QUESTION_FORMATION}/run/loss.csv",
        evals=f"{QUESTION_FORMATION}/run/eval.csv",
        summary=f"{QUESTION_FORMATION}/run/summary.json",
    log:
        f"{RESULTS}/logs/question_formation/train.log",
    benchmark:
        f"{RESULTS}/benchmarks/question_formation/train.tsv"
    # A retried job resumes from run/checkpoints/step_*.pt (not outputs, so Snakemake keeps them).
    retries: 2
    conda:
        ANALYSIS_ENV
    threads: lambda wc: config["question_formation"]["resources"]["threads"]
    resources:
        gpu=lambda wc: config["question_formation"]["resources"]["gpus"],
        mem_mb=lambda wc, attempt: config["question_formation"]["resources"]["mem_mb"]
        * min(attempt, 2),
        runtime=lambda wc, attempt: config["question_formation"]["resources"][
            "runtime_min"
        ]
        * attempt,
    params:
        model=config["question_formation"]["model"],
        training=config["question_formation"]["train"],
        seed=config["question_formation"]["seed"],
    script:
        STAGE


rule question_formation_fig4:
    """Figure 4: loss against step with its entropy floors and Niu's ≈1 claim, accuracy panel; final-accuracy table."""
    input:
        loss=rules.question_formation_train.output.loss,
        evals=rules.question_formation_train.output.evals,
        summary=rules.question_formation_train.output.summary,
        meta=rules.question_formation_data.output.meta,
        train=rules.question_formation_data.output.train,
    output:
        figure=report(
            figure("question_formation_fig4"),
            caption="../report/question_formation_fig4.rst",
            category=report_category("niu"),
            labels={"figure": "04 question formation"},
        ),
        table=report(
            f"{QUESTION_FORMATION}/accuracy.csv",
            caption="../report/question_formation_accuracy_table.rst",
            category=report_category("niu"),
            labels={"table": "question-formation accuracy"},
        ),
    log:
        f"{RESULTS}/logs/question_formation/fig4.log",
    conda:
        ANALYSIS_ENV
    params:
        bound=config["question_formation"]["bound"],
    script:
        STAGE


ALL_TARGETS += [figure("question_formation_fig4"), f"{QUESTION_FORMATION}/accuracy.csv"]
