"""Atomic file writes: every file audiopack makes appears whole or not at all.

A file is written under a temporary name in its own folder and renamed over the target, so a
reader (a phone streaming the pack, a second build) never sees half of it. The temporary file is
created with the usual 0666 request, so the finished file gets the same mode as any file the user
makes (0644 under the common umask) without reading or changing the process umask.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


def _create_temporary(folder: Path, prefix: str, suffix: str) -> tuple[int, Path]:
    while True:
        candidate = folder / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            return os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), candidate
        except FileExistsError:
            continue


@contextlib.contextmanager
def atomic_path(path: Path, durable: bool = True) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` when the block ends.

    For writers that need a file name (encoders, taggers). If the block raises, the temporary
    file is removed and ``path`` is left as it was. ``durable`` syncs the data before the rename.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = _create_temporary(path.parent, f".{path.name}.", ".tmp")
    os.close(fd)
    try:
        yield temporary
        if durable:
            with temporary.open("rb+") as handle:
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically.

    ``durable`` also syncs the data to disk before the rename (the pack's files and journal).
    The cache does without: its entries are checked against their recorded sizes and hashes,
    so one a power cut spoils is rebuilt, and a build does not wait on the disk for each.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = _create_temporary(path.parent, f".{path.name}.", ".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8", durable: bool = True) -> None:
    atomic_write_bytes(path, text.encode(encoding), durable)
