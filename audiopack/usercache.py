"""The per-user cache folders that outlive packs (jieba's index, the assembled Kokoro model)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def cache_folders() -> list[Path]:
    """Where per-user data may live, best first: ``$XDG_CACHE_HOME/audiopack``,
    ``~/.cache/audiopack``, then the temp folder."""
    folders = []
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec says to ignore a relative one
        folders.append(Path(xdg) / "audiopack")
    with contextlib.suppress(RuntimeError):  # no home folder
        folders.append(Path.home() / ".cache" / "audiopack")
    folders.append(Path(tempfile.gettempdir()) / "audiopack")
    return folders
