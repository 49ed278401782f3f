# Helpers of the rule files (every function and path constant lives here, so that the rule files
# hold only rules, as snakemake --lint asks). Only wiring here: the science lives in workflow/scalinglab.
import math
import os
import sys
from pathlib import Path

from snakemake.io import apply_wildcards as _apply_wildcards
from snakemake.io import get_flag_value as _get_flag_value
from snakemake.io import is_flagged as _is_flagged
from snakemake.iocontainers import Wildcards as _Wildcards

from scalinglab.model import GPTConfig, model_shape

# report() categories, numbered in reading order (Niu, Kaplan, Hoffmann, Michaud, prediction, run
# health): Snakemake's report menu sorts them as strings. The reading page uses the same order.
from scalinglab.report import report_category
from scalinglab.train.config import TrainConfig, merge_train
from scalinglab.train.preflight import check_world

# Every rule file appends the final products it wants `rule all` to build.
ALL_TARGETS = []

RESULTS = "results"

# Every wildcard: a name from the config (schema $defs/name), one path component, never '..'.
NAME = r"[A-Za-z0-9_-][A-Za-z0-9._-]*"


wildcard_constraints:
    experiment=NAME,
    run=NAME,
    checkpoint=NAME,
    dataset="runs|public",
    sweep="width|data",
    alpha=r"[0-9][0-9.e+-]*",


SCRIPTS = "workflow/scripts"
# The one script of every rule: it calls scalinglab.<analysis>.stages.<rule> (scalinglab.adapter).
STAGE = "../scripts/stage.py"
# Software of each rule, used with --software-deployment-method conda (the data stage and
# training, or everything else).
TRAIN_ENV = "../../envs/train.yaml"
ANALYSIS_ENV = "../../envs/analysis.yaml"
CAPTIONS = "workflow/report"


def fraction_label(fraction):
    """The path label of a data fraction: 1.0 -> '1', 0.01 -> '0.01', 0.001 -> '0.001'."""
    return f"{float(fraction):g}"


def budget_label(budget):
    """The path label of a FLOP budget: 3e17 -> '3e17', 1.5e18 -> '1.5e18'."""
    mantissa, exponent = f"{float(budget):.3e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def subset_json(fraction):
    """Sidecar of the nested training subset at `fraction` (see README, 'File formats')."""
    return f"{RESULTS}/data/subsets/{fraction_label(fraction)}.json"


VAL_JSON = f"{RESULTS}/data/val.json"

# Results of each analysis: results/<analysis>/ (one name per analysis).
MEMORY = f"{RESULTS}/memory"
QUESTION_FORMATION = f"{RESULTS}/question_formation"
FITS = f"{RESULTS}/fits"
KAPLAN_CAT = report_category("kaplan")
CHINCHILLA_CAT = report_category("chinchilla")
DATA_CONSTRAINED_CAT = report_category("muennighoff")


# The copy of the public points shipped inside the package (its source: fits/data/README.md).
SHIPPED_CHINCHILLA_POINTS = os.path.relpath(
    os.path.join(
        workflow.basedir, "workflow/scalinglab/fits/data/chinchilla_fig4_points.csv"
    )
)
QUANTIZATION = f"{RESULTS}/quantization"
PREDICT = f"{RESULTS}/predict"
PREDICT_CATEGORY = report_category("predict")
VERDICTS = f"{RESULTS}/verdicts"


def budget_models(experiment, budget):
    """The models an experiment trains at one FLOP budget: `models`, unless `budget_models` names
    the sizes for that budget (Chinchilla trains each IsoFLOP profile on the sizes around its own
    optimum, not the whole ladder at every budget)."""
    exp = config["experiments"][experiment]
    for entry in exp.get("budget_models") or []:
        if budget is not None and math.isclose(
            float(entry["budget"]), float(budget), rel_tol=1e-9
        ):
            return list(entry["models"])
    return list(exp["models"])


def check_budget_models(experiment):
    """One line for a `budget_models` entry whose budget or models the experiment does not have."""
    exp = config["experiments"][experiment]
    budgets = [float(b) for b in exp.get("budgets") or []]
    for entry in exp.get("budget_models") or []:
        if not any(
            math.isclose(float(entry["budget"]), b, rel_tol=1e-9) for b in budgets
        ):
            raise ValueError(
                f"budget_models: budget {entry['budget']:g} is not one of budgets "
                f"{[f'{b:g}' for b in budgets]}: add it to budgets or drop the entry"
            )
        extra = [m for m in entry["models"] if m not in exp["models"]]
        if extra:
            raise ValueError(
                f"budget_models: models {extra} at budget {entry['budget']:g} are not in the "
                f"experiment's models: add them to `models` (the ladder it trains)"
            )


def experiment_runs(experiment):
    """All runs of a training experiment as {run_id: spec}; spec has model, fraction, seed, budget.

    Run ids: `{model}_f{fraction}_s{seed}`, or `{model}_C{budget}_f{fraction}_s{seed}` for
    experiments with FLOP budgets (tokens = budget / (6 N), see scalinglab.counting); at each
    budget only the models `budget_models` names for it, when it names any.
    """
    exp = config["experiments"][experiment]
    runs = {}
    budgets = exp.get("budgets") or [None]
    for model in exp["models"]:
        for fraction in exp["fractions"]:
            for seed in exp["seeds"]:
                for budget in budgets:
                    if model not in budget_models(experiment, budget):
                        continue
                    parts = [model]
                    if budget is not None:
                        parts.append(f"C{budget_label(budget)}")
                    parts += [f"f{fraction_label(fraction)}", f"s{seed}"]
                    runs["_".join(parts)] = dict(
                        experiment=experiment,
                        model=model,
                        fraction=float(fraction),
                        seed=int(seed),
                        budget=None if budget is None else float(budget),
                    )
    return runs


def run_dir(experiment, run):
    return f"{RESULTS}/train/{experiment}/{run}"


def run_summaries(experiment):
    """summary.json of every run of an experiment (the inputs of fits and figures)."""
    if experiment not in config["experiments"]:
        return []
    return [
        f"{run_dir(experiment, run)}/summary.json"
        for run in experiment_runs(experiment)
    ]


def run_metrics(experiment):
    if experiment not in config["experiments"]:
        return []
    return [
        f"{run_dir(experiment, run)}/metrics.csv" for run in experiment_runs(experiment)
    ]


def figure(name):
    """A figure target: results/figures/<name>.png (a .pdf is written beside it)."""
    return f"{RESULTS}/figures/{name}.png"


# ---- data


def _check_experiment_fractions():
    """Every experiment trains on subsets the data stage makes: its fractions must be in data.fractions."""
    made = {fraction_label(f) for f in config["data"]["fractions"]}
    for name, exp in config["experiments"].items():
        missing = [f for f in exp["fractions"] if fraction_label(f) not in made]
        if missing:
            sys.exit(
                f"config error: experiments.{name}.fractions has {missing} not in data.fractions "
                f"{config['data']['fractions']}: add them to data.fractions"
            )


# ---- train


def train_settings(experiment):
    """The global `train` section with the experiment's overrides on top (nested dicts merge)."""
    return merge_train(config["train"], config["experiments"][experiment].get("train"))


def train_run_spec(wildcards):
    runs = experiment_runs(wildcards.experiment)
    if wildcards.run not in runs:
        raise ValueError(
            f"run {wildcards.run!r} is not part of experiment {wildcards.experiment!r}"
        )
    return runs[wildcards.run]


def train_resources(experiment):
    return {
        **dict(gpus=0, threads=2, mem_mb=8000, runtime_min=60),
        **train_settings(experiment).get("resources", {}),
    }


def experiment_subsets(experiment):
    """Sidecars of the subsets an experiment trains on (what train_preflight checks)."""
    return [subset_json(f) for f in config["experiments"][experiment]["fractions"]]


def preflight_json(experiment):
    return f"{RESULTS}/train/{experiment}/preflight.json"


# ---- memory


def memory_checkpoints():
    """{checkpoint id: spec}: one per run of memory.experiment, plus `openai-<model>` when enabled."""
    m = config["memory"]
    if m["experiment"] not in config["experiments"]:
        raise ValueError(
            f"memory.experiment={m['experiment']!r} is not under `experiments:` "
            f"(known: {', '.join(config['experiments']) or 'none'}); name one of them"
        )
    ids = {
        run: dict(
            kind="own",
            run=run,
            run_dir=run_dir(m["experiment"], run),
            model=None,
            fraction=spec["fraction"],
        )
        for run, spec in experiment_runs(m["experiment"]).items()
    }
    if m["pretrained"]["enabled"]:
        for model in m["pretrained"]["models"]:
            ids[f"openai-{model}"] = dict(
                kind="pretrained",
                run=None,
                run_dir=None,
                model=model,
                fraction=m["pretrained"]["memory_fraction"],
            )
    return ids


def memory_spec(wildcards):
    ids = memory_checkpoints()
    if wildcards.checkpoint not in ids:
        raise ValueError(
            f"memory checkpoint {wildcards.checkpoint!r} is unknown (known: {', '.join(ids)})"
        )
    return ids[wildcards.checkpoint]


def memory_states_input(wildcards):
    spec = memory_spec(wildcards)
    inputs = dict(val=VAL_JSON, train=subset_json(spec["fraction"]))
    if spec["kind"] == "own":
        inputs.update(
            run_summary=f"{spec['run_dir']}/summary.json",
            weights=f"{spec['run_dir']}/model.safetensors",
        )
    return inputs


def memory_label(spec):
    if spec["kind"] == "pretrained":
        return f"OpenAI {spec['model']}"
    run = experiment_runs(config["memory"]["experiment"])[spec["run"]]
    return f"{run['model']} @ {run['fraction'] * 100:g}% of the data"


# ---- fits


def chinchilla_points_csv():
    """The public points: the shipped copy (null or empty), the downloaded one (`download`), or a file."""
    choice = config["fits"]["chinchilla_points"]
    if choice is None or choice == "":
        return SHIPPED_CHINCHILLA_POINTS
    if choice == "download":
        return f"{FITS}/chinchilla_fig4_points.csv"
    return choice


def fit_experiment(key):
    return config["fits"][key]


def _runs_table():
    """fits.runs: ([the table], {analysis: ran}) when the runs come from a table, else ([], {}).
    The table is checked here, so a bad one stops the workflow before any job, one line a problem.
    """
    runs = config["fits"]["runs"]
    if runs["source"] != "table":
        return [], {}
    if not runs["table"]:
        sys.exit(
            "config error: fits.runs.source is `table` but fits.runs.table is empty: give its path"
        )
    from scalinglab.fits.checks import FitInputError
    from scalinglab.fits.runs_table import analyses, normalise, read_runs_table

    try:
        found = analyses(normalise(read_runs_table(runs["table"]), runs["loss_units"]))
    except FitInputError as err:
        sys.exit(f"config error: fits.runs.table {runs['table']}: {err}")
    return [runs["table"]], {r["analysis"]: r["ran"] for r in found}


# With a runs table the fits and the held-out check read it: no run summaries, no training.
RUNS_TABLE, RUNS_TABLE_ANALYSES = _runs_table()


def fits_val(wildcards=None):
    """The corpus sidecar with its entropy rate: none for a runs table (its corpus is unknown)."""
    return [] if RUNS_TABLE else VAL_JSON


def kaplan_subsets(wildcards=None):
    exp = config["experiments"].get(fit_experiment("kaplan_experiment"))
    return (
        [] if exp is None or RUNS_TABLE else [subset_json(f) for f in exp["fractions"]]
    )


def kaplan_run_summaries(wildcards=None):
    return [] if RUNS_TABLE else run_summaries(fit_experiment("kaplan_experiment"))


def kaplan_run_metrics(wildcards=None):
    return [] if RUNS_TABLE else run_metrics(fit_experiment("kaplan_experiment"))


def chinchilla_run_summaries(wildcards=None):
    """Approach 1 reads the learning curves of both experiments, Approaches 2-3 their finals."""
    if RUNS_TABLE:
        return []
    return run_summaries(fit_experiment("isoflop_experiment")) + run_summaries(
        fit_experiment("kaplan_experiment")
    )


def chinchilla_run_metrics(wildcards=None):
    if RUNS_TABLE:
        return []
    return run_metrics(fit_experiment("isoflop_experiment")) + run_metrics(
        fit_experiment("kaplan_experiment")
    )


def data_constrained_configured():
    """The data-constrained fit runs on the pipeline's runs when every experiment it reads
    (fits.data_constrained_experiments: the one that repeats data, and the single-epoch runs of the
    same recipe) is configured."""
    names = config["fits"]["data_constrained_experiments"]
    return bool(names) and all(e in config["experiments"] for e in names)


def data_constrained_summaries(wildcards=None):
    if RUNS_TABLE or not data_constrained_configured():
        return []
    return [
        s
        for e in config["fits"]["data_constrained_experiments"]
        for s in run_summaries(e)
    ]


# ---- quantization


def quantization_alphas():
    """The main alpha (panels a, b) and every alpha of the exponent sweep (panel c), as labels."""
    q = config["quantization"]
    alphas = [q["alpha"]] + list(q["exponent_sweep_alphas"])
    return sorted({f"{float(a):g}" for a in alphas}, key=float)


# ---- predict


def predict_run_summaries(wildcards=None):
    """summary.json of every run in the experiments the extrapolation check uses."""
    if RUNS_TABLE:
        return []
    return [s for e in config["predict"]["experiments"] for s in run_summaries(e)]


def plan_fitted_tables(wildcards=None):
    """predict.plan.fitted_tables, less the runs' fits a runs table does not identify."""
    skipped = set()
    if RUNS_TABLE and not RUNS_TABLE_ANALYSES["Kaplan forms"]:
        skipped.add(f"{FITS}/kaplan_runs.csv")
    if RUNS_TABLE and not RUNS_TABLE_ANALYSES["Approach 3"]:
        skipped.add(f"{FITS}/chinchilla_runs_approach3.csv")
    return [t for t in config["predict"]["plan"]["fitted_tables"] if t not in skipped]


def predict_datasets():
    """'public' always; 'runs' when an experiment of predict.experiments is in the config."""
    return ["runs", "public"] if RUNS_TABLE or predict_run_summaries() else ["public"]


# ---- capacity (Niu et al.'s N = O(D²) measured; rules/capacity.smk) ----
CAPACITY = f"{RESULTS}/capacity"


def capacity_searches():
    """One search result per pattern count D of capacity.pattern_counts."""
    return [
        f"{CAPACITY}/search/D{d}.json" for d in config["capacity"]["pattern_counts"]
    ]


def capacity_caption_fit(path):
    """fit.json's numbers for the captions once the fit exists ({} before). The params using it are
    functions of the rule's input or output files, so Snakemake counts no change of them as a reason
    to rerun (Persistence: non-derived params only)."""
    import json

    # An empty or unreadable file (`snakemake --touch`, a killed job) is "no numbers yet": the
    # caption must not stop the DAG from being built.
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def declared_output(path):
    """`path` when some rule of the workflow writes it (an optional analysis), else None."""
    for r in workflow.rules:
        if any(str(o) == path for o in r.output):
            return path
    return None


def verdicts_input(wildcards):
    """What the verdicts read: every configured analysis' outputs (an absent one is left out)."""
    exps = config["experiments"]
    fits = config["fits"]
    inputs = dict(
        val=VAL_JSON,
        memory_summaries=run_summaries(config["memory"]["experiment"]),
        memory_distances=[f"{MEMORY}/{c}/summary.json" for c in memory_checkpoints()],
        qf_loss=rules.question_formation_train.output.loss,
        qf_summary=rules.question_formation_train.output.summary,
        qf_data=rules.question_formation_data.output.meta,
        qf_train=rules.question_formation_data.output.train,
        public=rules.fits_chinchilla_public.output.table,
        quantization=rules.quantization_fit.output.exponents,
        quantization_transitions=rules.quantization_subtask_curves.output.transitions,
        run_summaries=[s for e in exps for s in run_summaries(e)],
    )
    if fits["kaplan_experiment"] in exps:
        inputs.update(
            kaplan_table=rules.fits_kaplan_runs.output.table,
            kaplan_irreducible=rules.fits_kaplan_runs.output.irreducible,
        )
    if fits["isoflop_experiment"] in exps:
        inputs.update(
            isoflop=rules.fits_chinchilla_runs.output.isoflop,
            allocation=rules.fits_chinchilla_runs.output.allocation,
            chinchilla_irreducible=rules.fits_chinchilla_runs.output.irreducible,
        )
    if (
        RUNS_TABLE_ANALYSES.get("Data-constrained R_D*")
        if RUNS_TABLE
        else data_constrained_configured()
    ):
        inputs["data_constrained"] = rules.fits_data_constrained_runs.output.fit
    for d in predict_datasets():
        inputs[f"extrapolation_{d}"] = f"{PREDICT}/extrapolation_{d}_summary.csv"
    capacity = declared_output(f"{RESULTS}/capacity/fit.json")
    if capacity:
        inputs["capacity"] = capacity
    return inputs


# ---- the reading page (rules/report.smk, rule report_reading_page)
READING_PAGE = f"{RESULTS}/report/index.html"
VERDICTS_CSV = f"{RESULTS}/verdicts/verdicts.csv"
REPORT_TEMPLATES = "workflow/scalinglab/report/templates"


def report_entries():
    """Every final product (ALL_TARGETS, in order) marked report(), as plain dicts -- path,
    producing rule and rule file, category, labels, caption file, wildcards and params (what the
    caption's Jinja needs, the same context Snakemake's report renders it with)."""
    entries, seen = [], set()
    for target in map(str, ALL_TARGETS):
        if (
            target in (READING_PAGE, VERDICTS_CSV) or target in seen
        ):  # the page shows the verdicts itself
            continue
        for r in workflow.rules:
            out = next(
                (o for o in r.output if _is_flagged(o, "report") and o.match(target)),
                None,
            )
            if out is None:
                continue
            seen.add(target)
            flag = _get_flag_value(out, "report")
            wc = r.get_wildcards(target)
            wildcards = _Wildcards(fromdict=wc)
            # positional: input, output, job (snakefmt reads `params`/`output` at a line start as directives)
            # the rule's real inputs: a param may be a function of them (capacity's captions)
            expanded, _ = r.expand_params(
                wildcards,
                r.expand_input(wildcards)[0],
                r.expand_output(wildcards)[0],
                None,
            )
            caption = (
                None
                if flag.caption is None
                else flag.caption.get_path_or_uri(secret_free=True)
            )
            # a dict literal: snakefmt reads `params=`/`wildcards=` at a line start as directives
            entries.append(
                {
                    "path": target,
                    "rule": r.name,
                    "analysis": Path(r.snakefile).stem,
                    "category": (
                        None
                        if flag.category is None
                        else _apply_wildcards(flag.category, wc)
                    ),
                    "subcategory": (
                        None
                        if flag.subcategory is None
                        else _apply_wildcards(flag.subcategory, wc)
                    ),
                    "labels": {
                        k: _apply_wildcards(str(v), wc)
                        for k, v in (flag.labels or {}).items()
                    },
                    "caption": None if caption is None else os.path.relpath(caption),
                    "wildcards": dict(wc),
                    "params": dict(expanded.items()),
                }
            )
            break
    return entries


def report_configfiles():
    """The config files of this run, the base first and each override after it."""
    overrides = [os.path.relpath(str(f)) for f in workflow.overwrite_configfiles or []]
    loaded = [os.path.relpath(str(f)) for f in workflow.configfiles]
    return [f for f in loaded if f not in overrides] + overrides


def verdicts_csv():
    """The verdict table when a rule of this workflow writes it (rules/verdicts.smk), else none."""
    return (
        [VERDICTS_CSV]
        if any(r.is_producer(VERDICTS_CSV) for r in workflow.rules)
        else []
    )


def report_reading_page_input(wildcards):
    entries = report_entries()
    return dict(
        files=[e["path"] for e in entries],
        captions=sorted({e["caption"] for e in entries if e["caption"]}),
        verdicts=verdicts_csv(),
        # with a runs table, the header lists which analyses ran and why the rest did not
        runs_table_analyses=(
            [rules.fits_runs_table_analyses.output.table] if RUNS_TABLE else []
        ),
        templates=[f"{REPORT_TEMPLATES}/page.html.j2", f"{REPORT_TEMPLATES}/page.css"],
    )
