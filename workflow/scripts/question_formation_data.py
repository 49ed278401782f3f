"""Rule question_formation_data: question-formation pairs (McCoy et al. files or the generator) -> split files."""
import sys

from scalinglab.question_formation.data import prepare

sys.stderr = sys.stdout = open(snakemake.log[0], "w")  # noqa: F821
qf = snakemake.config["question_formation"]  # noqa: F821
try:
    meta = prepare(snakemake.params.out_dir, source=str(qf["source"]), url=qf["url"],  # noqa: F821
                   train_pairs=qf["train_pairs"], test_pairs=qf["test_pairs"],
                   gen_pairs=qf["gen_pairs"], seed=qf["seed"], quest_fraction=qf["quest_fraction"],
                   withhold_subject_rc_questions=qf["withhold_subject_rc_questions"])
except (ValueError, RuntimeError, FileNotFoundError) as err:
    print(f"error: {err}")
    raise SystemExit(f"question_formation_data: {err}")
print({k: v["pairs"] for k, v in meta["splits"].items()}, "entropy rate", meta["entropy_per_token_nats"])
