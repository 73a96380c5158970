"""audiopack caches its own bytecode even when the environment asks Python not to."""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import audiopack

PACKAGE = Path(audiopack.__file__).parent


def _copy_package(tmp_path: Path) -> Path:
    target = tmp_path / "site" / "audiopack"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _import(site: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPYCACHEPREFIX", None)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import audiopack, sys; print(sys.dont_write_bytecode, audiopack.__file__)",
        ],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _cached(source: Path) -> Path:
    return Path(importlib.util.cache_from_source(str(source)))


def test_every_module_is_compiled_once_and_again_after_a_change(tmp_path: Path) -> None:
    package = _copy_package(tmp_path)
    result = _import(package.parent)
    assert result.returncode == 0, result.stderr
    # the copy was imported, and the user's setting itself is left as it was
    assert result.stdout.split() == ["True", str(package / "__init__.py")]
    sources = sorted(package.glob("*.py")) + sorted((package / "engines").glob("*.py"))
    assert len(sources) > 20
    for source in sources:
        assert _cached(source).is_file(), source.name

    speech = package / "speech.py"
    before = _cached(speech).read_bytes()
    untouched = _cached(package / "cli.py").stat().st_mtime_ns
    speech.write_text(speech.read_text(encoding="utf-8") + "\nADDED = 1\n", encoding="utf-8")
    os.utime(speech, (speech.stat().st_atime + 5, speech.stat().st_mtime + 5))
    assert _import(package.parent).returncode == 0
    assert _cached(speech).read_bytes() != before
    assert _cached(package / "cli.py").stat().st_mtime_ns == untouched


def test_a_read_only_install_still_imports(tmp_path: Path) -> None:
    package = _copy_package(tmp_path)
    for folder in (package, package / "engines"):
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = _import(package.parent)
    finally:
        for folder in (package, package / "engines"):
            folder.chmod(stat.S_IRWXU)
    assert result.returncode == 0, result.stderr
    if os.geteuid() != 0:  # root writes anyway
        assert not (package / "__pycache__").exists()
