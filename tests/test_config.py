"""The configuration: schema validation names the bad key, and `snakemake -n` builds the whole DAG
for the paper config and for the demo config (no job runs)."""
import subprocess
import sys

import pytest
import yaml

# --forceall: list every job of the DAG even where results/ already holds outputs
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--cores", "1", "--dry-run", "--quiet", "rules"]
# --rerun-incomplete: a real run beside this one may hold half-written outputs (harmless in a dry run)
WHOLE_DAG = ["--forceall", "--rerun-incomplete"]


def dry_run(repo, *args):
    # a dry run plans jobs without running them; --nolock lets it run beside a real run in the checkout
    cmd = SNAKEMAKE + ["--nolock", "--snakefile", str(repo / "Snakefile")] + list(args)
    return subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=300)


@pytest.mark.e2e  # plans all of the DAG: ~10-30 s per config on 2 cores
@pytest.mark.parametrize("configfiles", [[], ["workflow/config/demo.yaml"]], ids=["paper", "demo"])
def test_dry_run_builds_the_whole_dag(repo, configfiles):
    args = ["--configfile", *[str(repo / c) for c in configfiles]] if configfiles else []
    result = dry_run(repo, *WHOLE_DAG, *args)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    out = result.stdout + result.stderr
    assert "prepare_data" in out
    assert "all" in out


def bad_config(tmp_path, data_section: dict, experiments: dict | None = None):
    path = tmp_path / "bad.yaml"
    cfg = {"data": data_section}
    if experiments is not None:
        cfg["experiments"] = experiments
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


BAD_SECTIONS = [
    ({"sorce": "synthetic"}, ["'sorce' was unexpected", "['data']"]),
    ({"source": "webtext"}, ["'webtext' is not one of", "['data']['source']"]),
    ({"fractions": [0.1, 0.1]}, ["non-unique", "['data']['fractions']"]),
    ({"fractions": [1.5]}, ["1.5", "['data']['fractions']"]),
    ({"synthetic": {"alpha": "big"}}, ["'big' is not of type 'number'", "['data']['synthetic']['alpha']"]),
    ({"val_fraction": 0}, ["['data']['val_fraction']"]),
]
BAD_IDS = ["unknown-key", "unknown-source", "duplicate-fractions", "fraction-above-1", "wrong-type", "val-fraction-0"]


@pytest.mark.parametrize("section, names", BAD_SECTIONS, ids=BAD_IDS)
def test_schema_rejects_bad_data_config_naming_the_key_path(repo, section, names):
    """Snakemake's own validate() against the schema, in process (fast)."""
    from snakemake.utils import validate

    config = yaml.safe_load((repo / "config.yaml").read_text())
    config["data"] = section
    with pytest.raises(Exception) as err:
        validate(config, str(repo / "workflow" / "schemas" / "config.schema.yaml"), set_default=True)
    for name in names:
        assert name in str(err.value)


@pytest.mark.parametrize("section, names", [BAD_SECTIONS[0], BAD_SECTIONS[4]], ids=[BAD_IDS[0], BAD_IDS[4]])
def test_snakemake_dry_run_fails_naming_the_key_path(repo, tmp_path, section, names):
    result = dry_run(repo, "--configfile", bad_config(tmp_path, section))
    out = result.stdout + result.stderr
    assert result.returncode != 0
    line = next(l for l in out.splitlines() if l.startswith("config error: "))  # one line
    assert line.startswith("config error: data"), line
    assert names[0] in line, out[-2000:]
    assert "Building DAG" not in out  # failed before any job was planned


def test_experiment_fraction_missing_from_data_fractions(repo, tmp_path):
    cfg = bad_config(tmp_path, {"fractions": [1.0, 0.01]}, {"data_fraction": {"fractions": [1.0, 0.01, 0.001]}})
    result = dry_run(repo, "--configfile", cfg)
    assert result.returncode != 0
    assert "experiments.data_fraction.fractions has [0.001] not in data.fractions" in result.stdout + result.stderr


def _demo_config(repo):
    config = yaml.safe_load((repo / "config.yaml").read_text())
    config.update(yaml.safe_load((repo / "workflow" / "config" / "demo.yaml").read_text()))
    return config


BAD_VALUES = [  # (dotted key, value, words of the one-line error)
    ("experiments", {"../../../../tmp/x": {"models": ["demo-s"], "fractions": [1.0]}}, "not a safe name"),
    ("models", {"../../etc": {"n_layer": 1, "n_head": 1, "n_embd": 4}}, "not a safe name"),
    ("experiments.data_fraction.models", ["../etc"], "not a safe name"),
    ("experiments.data_fraction.models", [".hidden"], "not a safe name"),
    ("memory.experiment", "a/b", "not a safe name"),
    ("fits.kaplan_experiment", "..", "not a safe name"),
    ("predict.experiments", ["x y"], "not a safe name"),
    ("report.reference_experiments", ["../r"], "not a safe name"),
    ("train.warmup_steps", -1, "less than the minimum of 0"),
    ("train.beta2", 1.5, "greater than or equal to the maximum of 1"),
    ("train.lr", "fast", "is not of type 'number'"),
    ("train.device", "gpu0", "does not match"),
    ("experiments.data_fraction.train.warmup_steps", -5, "less than the minimum of 0"),
    ("experiments.data_fraction.train.weight_decay", -0.1, "less than the minimum of 0"),
    ("experiments.data_fraction.train.grad_clip", -1.0, "less than the minimum of 0"),
    ("experiments.data_fraction.train.beta1", 1.0, "greater than or equal to the maximum of 1"),
    ("experiments.data_fraction.train.beta2", 1.5, "greater than or equal to the maximum of 1"),
    ("experiments.data_fraction.train.lr", "fast", "is not of type 'number'"),
    ("experiments.data_fraction.train.lr", 0, "less than or equal to the minimum of 0"),
    ("experiments.data_fraction.train.lerning_rate", 1e-3, "'lerning_rate' was unexpected"),
    ("train.lerning_rate", 1e-3, "'lerning_rate' was unexpected"),
]


@pytest.mark.parametrize("key, value, words", BAD_VALUES, ids=[f"{k}={v!r}"[:50] for k, v, _ in BAD_VALUES])
def test_check_config_names_the_key_in_one_line(repo, key, value, words):
    from scalinglab.config import ConfigError, check_config

    config = _demo_config(repo)
    *parents, last = key.split(".")
    node = config
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    with pytest.raises(ConfigError) as err:
        check_config(config, repo / "workflow" / "schemas" / "config.schema.yaml")
    line = str(err.value)
    assert "\n" not in line
    # the line starts with the key (an unknown key: the section that holds it)
    assert line.startswith(key if "unexpected" not in words else key.rsplit(".", 1)[0]), line
    assert words in line, line


def test_check_config_accepts_the_shipped_configs_and_command_line_strings(repo):
    from scalinglab.config import check_config

    schema = repo / "workflow" / "schemas" / "config.schema.yaml"
    check_config(yaml.safe_load((repo / "config.yaml").read_text()), schema)
    config = _demo_config(repo)
    # what `--config 'fits={chinchilla_points: null, bootstrap_samples: 40}'` hands over
    config["fits"] = {"chinchilla_points": "null", "bootstrap_samples": "40"}
    check_config(config, schema)
    assert config["fits"] == {"chinchilla_points": None, "bootstrap_samples": 40}
