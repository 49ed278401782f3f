# Rules: question formation (Niu et al. 2024 §6.3 on McCoy, Frank & Linzen 2020's task).
# data (McCoy's files or the generator) -> a vanilla Transformer, loss every step -> figure 4
# (loss with its stepwise drops and the §5 lower bound) + the accuracy table.
# The science lives in scalinglab.qf, scalinglab.memory.bound, scalinglab.figures.question_formation.
QF = f"{RESULTS}/question_formation"


rule qf_data:
    """Question-formation pairs in McCoy et al.'s line format: train, test, generalisation."""
    output:
        train=f"{QF}/data/train.txt",
        test=f"{QF}/data/test.txt",
        gen=f"{QF}/data/gen.txt",
        meta=f"{QF}/data/data.json",
    params:
        out_dir=f"{QF}/data",
    log:
        f"{RESULTS}/logs/question_formation/data.log",
    script:
        "../scripts/qf_data.py"


rule qf_train:
    """A vanilla decoder-only Transformer on `source . marker target`; loss.csv every step."""
    input:
        train=rules.qf_data.output.train,
        test=rules.qf_data.output.test,
        gen=rules.qf_data.output.gen,
        meta=rules.qf_data.output.meta,
    output:
        loss=f"{QF}/run/loss.csv",
        evals=f"{QF}/run/eval.csv",
        summary=f"{QF}/run/summary.json",
    params:
        run_dir=f"{QF}/run",
    log:
        f"{RESULTS}/logs/question_formation/train.log",
    benchmark:
        f"{RESULTS}/benchmarks/question_formation/train.tsv"
    threads: lambda wc: config["question_formation"]["resources"]["threads"]
    resources:
        gpu=lambda wc: config["question_formation"]["resources"]["gpus"],
        mem_mb=lambda wc, attempt: config["question_formation"]["resources"]["mem_mb"] * min(attempt, 2),
        runtime=lambda wc, attempt: config["question_formation"]["resources"]["runtime_min"] * attempt,
    # A retried job resumes from run/checkpoint.pt (not an output, so Snakemake keeps it).
    retries: 2
    script:
        "../scripts/qf_train.py"


rule qf_figure:
    """Figure 4: loss against step with the §5 bound, accuracy panel; final-accuracy table."""
    input:
        loss=rules.qf_train.output.loss,
        evals=rules.qf_train.output.evals,
        summary=rules.qf_train.output.summary,
        meta=rules.qf_data.output.meta,
    output:
        figure=report(figure("niu_question_formation"), caption="../report/qf_figure.rst",
                      category="Niu et al. 2024", labels={"figure": "04 question formation"}),
        table=report(f"{RESULTS}/tables/question_formation_accuracy.csv",
                     caption="../report/qf_accuracy_table.rst", category="Niu et al. 2024",
                     labels={"table": "question-formation accuracy"}),
    log:
        f"{RESULTS}/logs/figures/niu_question_formation.log",
    script:
        "../scripts/qf_figure.py"


ALL_TARGETS += [figure("niu_question_formation"), f"{RESULTS}/tables/question_formation_accuracy.csv"]
