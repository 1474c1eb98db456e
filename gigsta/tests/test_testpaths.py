"""`make test` runs every app's tests: pytest's testpaths name each folder that has them."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_folder_with_tests_is_in_testpaths():
    testpaths = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["testpaths"])
    with_tests = {
        path.parent.name
        for path in ROOT.glob("*/tests")
        if path.is_dir() and any(path.rglob("test_*.py")) and not path.parent.name.startswith(".")
    }
    assert with_tests - {"tests"} <= testpaths, f"add to testpaths in pyproject.toml: {with_tests - testpaths}"
    assert "tests" in testpaths
