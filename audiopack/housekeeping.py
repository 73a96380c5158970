"""Cache housekeeping: what the cache holds, and pruning entries no current pack uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audiopack.cache import Store
from audiopack.errors import AudiopackError
from audiopack.output.pack import MANIFEST, STATE_DIR
from audiopack.pipeline import CACHE_SUBDIR


def _root(pack: Path | None, cache_dir: Path | None) -> Path:
    if cache_dir is not None:
        return cache_dir
    if pack is None:
        raise AudiopackError("name a pack folder or --cache-dir")
    return pack / STATE_DIR / CACHE_SUBDIR


def _used(pack: Path) -> set[str]:
    manifest = pack / STATE_DIR / MANIFEST
    try:
        data = json.loads(manifest.read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise AudiopackError(f"{pack} is not a built pack (no readable {manifest.name})") from e
    return set(data.get("segments", [])) | set(data.get("pieces", []))


def cache_info(pack: Path | None, cache_dir: Path | None) -> dict[str, Any]:
    root = _root(pack, cache_dir)
    if not root.is_dir():
        raise AudiopackError(f"no cache at {root}: build the pack first")
    segments, pieces = Store(root, "segments"), Store(root, "pieces")
    keys = segments.keys() + pieces.keys()
    used = _used(pack) if pack is not None and (pack / STATE_DIR / MANIFEST).exists() else set(keys)
    return {
        "cache": str(root),
        "segments": len(segments.keys()),
        "pieces": len(pieces.keys()),
        "bytes": segments.size_bytes() + pieces.size_bytes(),
        "unused": len([k for k in keys if k not in used]),
    }


def describe(info: dict[str, Any]) -> str:
    """One line for the terminal from :func:`cache_info`'s answer."""
    return (
        f"{info['cache']}: {info['segments']} segments, {info['pieces']} pieces, "
        f"{info['bytes'] / 1e6:.1f} MB; {info['unused']} entries unused by the pack"
    )


def prune(packs: list[Path], cache_dir: Path | None) -> tuple[int, int]:
    if not packs:
        raise AudiopackError("name the pack folder(s) whose cache entries to keep")
    root = _root(packs[0], cache_dir)
    if not root.is_dir():
        raise AudiopackError(f"no cache at {root}: nothing to prune")
    used: set[str] = set()
    for pack in packs:
        used |= _used(pack)
    removed = freed = 0
    for namespace in ("segments", "pieces"):
        store = Store(root, namespace)
        for key in store.keys():  # noqa: SIM118 (Store is not a dict)
            if key not in used:
                freed += store.remove(key)
                removed += 1
    return removed, freed
