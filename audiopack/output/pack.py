"""The pack folder: a lock, a manifest of what audiopack made, and crash-safe commits.

New files are written to a staging folder inside ``.audiopack/``; the commit writes a journal
(atomically), moves the staged files into place, deletes stale files and removes the journal.
If the process dies mid-commit, the next run finds the journal and completes it, so the pack
is always either the previous one or the new one, and unchanged files are never touched.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from audiopack.atomic import atomic_write_bytes, atomic_write_text
from audiopack.errors import PackError

log = logging.getLogger(__name__)


def _try_lock(fd: int) -> bool:
    """Lock an open file exclusively without waiting; False when someone else holds it.

    The operating system's own lock (not a library: this runs on every build, and the
    lock is released by the kernel even when the process is killed).
    """
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


STATE_DIR = ".audiopack"
MANIFEST = "manifest.json"
JOURNAL = "commit.json"


def _inside(root: Path, name: str) -> Path:
    """``root / name`` for a plain file name; refuses anything that could leave the folder."""
    if not name or "/" in name or "\\" in name or name in (".", "..") or "\0" in name:
        raise PackError(f"refusing unsafe file name in pack: {name!r}")
    return root / name


class PackFolder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.state = root / STATE_DIR
        self._manifest: dict[str, Any] | None = None

    def manifest(self) -> dict[str, Any]:
        """What the last commit recorded (read once; a commit or recovery refreshes it)."""
        if self._manifest is None:
            try:
                data = json.loads((self.state / MANIFEST).read_text("utf-8"))
            except (OSError, ValueError):
                data = {}
            self._manifest = data if isinstance(data, dict) else {}
        return self._manifest

    def unchanged(self, name: str, fingerprint: str) -> bool:
        """True when ``name`` is in the pack as made from ``fingerprint`` and still intact."""
        record = self.manifest().get("files", {}).get(name)
        path = self.root / name
        return (
            isinstance(record, dict)
            and record.get("fingerprint") == fingerprint
            and path.is_file()
            and path.stat().st_size == record.get("size")
        )

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the pack's lock; a second build refuses at once with a clear error."""
        verb = "write to" if os.path.isdir(self.root) else "create"  # isdir never raises
        try:
            self.state.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.state / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise PackError(
                f"cannot {verb} the pack folder {self.root}: {e.strerror};"
                " fix its permissions or choose another output folder"
            ) from e
        try:
            if not _try_lock(fd):
                raise PackError(
                    f"another audiopack build is using {self.root}; wait for it to finish"
                )
            self.recover()
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def recover(self) -> None:
        """Finish a commit that a crash interrupted; drop leftovers of interrupted builds."""
        journal = self.state / JOURNAL
        if journal.is_file():
            try:
                plan = json.loads(journal.read_text("utf-8"))
            except (OSError, ValueError):
                plan = None
            if isinstance(plan, dict):
                log.warning("completing an interrupted commit in %s", self.root)
                self._apply(plan)
            journal.unlink(missing_ok=True)
        for leftover in self.state.glob("staging-*"):
            shutil.rmtree(leftover, ignore_errors=True)

    def staging(self) -> Path:
        self.state.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="staging-", dir=self.state))

    def _apply(self, plan: dict[str, Any]) -> None:
        for staged, name in plan.get("moves", []):
            source = Path(staged)
            if source.exists():
                os.replace(source, _inside(self.root, name))
        for name in plan.get("delete", []):
            with contextlib.suppress(OSError, PackError):
                _inside(self.root, name).unlink(missing_ok=True)
        manifest = plan.get("manifest")
        if isinstance(manifest, dict):
            atomic_write_text(self.state / MANIFEST, json.dumps(manifest, ensure_ascii=False))
        self._manifest = None

    def commit(
        self, staged: dict[str, Path], records: dict[str, dict[str, Any]], extra: dict[str, Any]
    ) -> list[str]:
        """Move ``staged`` files (name -> staged path) into place; delete files the previous
        manifest lists that ``records`` (the complete new set) does not. Returns changed names."""
        previous = self.manifest()
        old_files = previous.get("files", {})
        stale = [name for name in old_files if name not in records]
        manifest = {"files": records, **extra}
        if not staged and not stale and previous == json.loads(json.dumps(manifest)):
            return []  # nothing changed: write nothing at all
        plan = {
            "moves": [[str(path), name] for name, path in staged.items()],
            "delete": stale,
            "manifest": manifest,
        }
        for name in (*staged, *stale):
            _inside(self.root, name)
        with _signals_held():
            atomic_write_text(self.state / JOURNAL, json.dumps(plan, ensure_ascii=False))
            self._apply(plan)
            (self.state / JOURNAL).unlink(missing_ok=True)
        return sorted(staged) + stale


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while the journal is applied, so it runs to its end.

    Where signals cannot be blocked (Windows), an interrupted commit is finished by the next
    run, which replays the journal.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


def write_staged_text(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = _inside(folder, name)
    atomic_write_bytes(path, text.encode(encoding))
    return path
