"""envs/*.yaml parse as conda environments and pin exactly what pyproject.toml pins."""
import re
import tomllib

import pytest
import yaml

CONDA_TO_PYPI = {"pytorch": "torch"}  # conda-forge names that differ from PyPI's
NOT_PACKAGES = {"python", "pip"}
REQUIRED = {
    "train.yaml": {"torch", "numpy", "tiktoken", "datasets", "safetensors"},
    "analysis.yaml": {"torch", "numpy", "scipy", "pandas", "matplotlib", "snakemake", "pygments"},
}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", CONDA_TO_PYPI.get(name, name)).lower()


@pytest.fixture(scope="module")
def pyproject_pins(repo):
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    pins = {}
    for spec in project["dependencies"] + [d for group in project["optional-dependencies"].values() for d in group]:
        name, version = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==([\w.]+)", spec).groups()
        pins[normalize(re.sub(r"\[.*\]", "", name))] = version
    return pins, project["requires-python"]


def env_pins(env: dict) -> tuple[dict, list]:
    """{package: version} from conda (name=version) and pip (name==version) entries; unpinned entries."""
    pins, unpinned = {}, []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for line in dep["pip"]:
                if line.startswith("-"):
                    continue  # -e .., index options
                m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([\w.]+)", line)
                (pins.__setitem__(normalize(m[1]), m[2]) if m else unpinned.append(line))
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:=([\w.]+))?", dep)
        assert m, f"unparseable conda dependency {dep!r}"
        if m[1] in NOT_PACKAGES:
            pins[m[1]] = m[2]
        elif m[2] is None:
            unpinned.append(dep)
        else:
            pins[normalize(m[1])] = m[2]
    return pins, unpinned


def test_env_files_exist(repo):
    assert sorted(p.name for p in (repo / "envs").glob("*.yaml")) >= sorted(REQUIRED)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_env_parses_and_agrees_with_pyproject(repo, pyproject_pins, name):
    pins, requires_python = pyproject_pins
    env = yaml.safe_load((repo / "envs" / name).read_text())
    assert env["name"].startswith("scalinglab") and env["channels"]
    found, unpinned = env_pins(env)
    assert not unpinned, f"{name}: unpinned dependencies {unpinned}"
    python = found.pop("python")
    found.pop("pip", None)
    assert python and requires_python.startswith(">=") and tuple(map(int, python.split("."))) >= tuple(map(int, requires_python[2:].split(".")))
    for package, version in found.items():
        assert package in pins, f"{name}: {package} is not a pinned dependency in pyproject.toml"
        assert version == pins[package], f"{name}: {package}={version} but pyproject.toml pins {pins[package]}"
    assert REQUIRED[name] <= set(found), f"{name} lacks {REQUIRED[name] - set(found)}"


def test_helper_catches_disagreement():
    found, unpinned = env_pins({"dependencies": ["python=3.11", "numpy=1.0", "scipy", {"pip": ["torch==2.0", "tqdm", "-e .."]}]})
    assert found == {"python": "3.11", "numpy": "1.0", "torch": "2.0"} and unpinned == ["scipy", "tqdm"]
