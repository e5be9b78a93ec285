"""pyproject.toml and environment.yml must install the same packages with the same floors."""

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


def _parse(reqs):
    out = {}
    for r in reqs:
        name, spec = REQ.match(r).groups()
        out[name.lower().replace("_", "-")] = spec.replace(" ", "")
    return out


def pyproject_requirements():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return _parse(data["project"]["dependencies"] + data["project"]["optional-dependencies"]["course"])


def environment_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    reqs = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            reqs += [d for d in dep["pip"] if not d.startswith("-e")]
        elif not dep.startswith(("python=", "pip")) or dep.startswith("pip-"):
            reqs.append(dep)
    return _parse(reqs)


def test_environment_matches_pyproject():
    py, env = pyproject_requirements(), environment_requirements()
    assert sorted(set(py) - set(env)) == [], "in pyproject.toml but not in environment.yml"
    assert sorted(set(env) - set(py)) == [], "in environment.yml but not in pyproject.toml"
    assert {k: env[k] for k in py} == py, "version ranges differ"


def test_environment_installs_the_package_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e .[course]" in pip


def test_torch_ranges_admit_the_pinned_and_colab_versions():
    py = pyproject_requirements()
    # The floors are what .ci/floors installs and tests (torch.serialization.safe_globals
    # needs 2.5); .ci/run installs the 2.14.1 / 0.29.1 this CI machine serves; Colab ships
    # a newer 2.x than the floor, so its own torch is never reinstalled.
    assert py["torch"] == ">=2.5" and py["torchvision"] == ">=0.20"
