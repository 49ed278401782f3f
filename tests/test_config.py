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
    assert "Error validating config file" in out
    for name in names:
        assert name in out, out[-2000:]
    assert "Building DAG" not in out  # failed before any job was planned


def test_experiment_fraction_missing_from_data_fractions(repo, tmp_path):
    cfg = bad_config(tmp_path, {"fractions": [1.0, 0.01]}, {"data_fraction": {"fractions": [1.0, 0.01, 0.001]}})
    result = dry_run(repo, "--configfile", cfg)
    assert result.returncode != 0
    assert "experiments.data_fraction.fractions has [0.001] not in data.fractions" in result.stdout + result.stderr
