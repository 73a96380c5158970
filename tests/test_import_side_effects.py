"""Importing audiopack (the package and every module of it) changes nothing outside the
interpreter: no environment variable, umask, collector setting or file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import audiopack

PACKAGE = Path(audiopack.__file__).parent

PROBE = r"""
import gc, json, os, pkgutil, sys, importlib

def umask():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Umask:"):
                return line.split()[1]
    return None

before = {"env": dict(os.environ), "umask": umask(), "gc": [gc.isenabled(), gc.get_freeze_count()],
          "cwd": sorted(os.listdir("."))}
import audiopack
names = [m.name for m in pkgutil.walk_packages(audiopack.__path__, "audiopack.")
         if not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
after = {"env": dict(os.environ), "umask": umask(), "gc": [gc.isenabled(), gc.get_freeze_count()],
         "cwd": sorted(os.listdir("."))}
print(json.dumps({"before": before, "after": after, "modules": len(names)}))
"""


def _snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_importing_every_module_changes_nothing_outside_the_interpreter(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(PACKAGE, site / "audiopack", ignore=shutil.ignore_patterns("__pycache__"))
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENBLAS", "OMP_", "MKL_"))}
    env.update(
        PYTHONPATH=str(site),
        PYTHONDONTWRITEBYTECODE="1",
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        TMPDIR=str(tmp_path / "tmp"),
    )
    env.pop("PYTHONPYCACHEPREFIX", None)
    (tmp_path / "tmp").mkdir()
    files_before = _snapshot(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=work, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["modules"] >= 20
    assert report["after"]["env"] == report["before"]["env"]
    assert report["after"]["umask"] == report["before"]["umask"]
    assert report["after"]["gc"] == report["before"]["gc"]
    assert _snapshot(tmp_path) == files_before
