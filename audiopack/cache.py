"""Content-addressed store for synthesised segments and encoded pieces.

Every entry is named by a key (sha256 of canonical JSON over everything that changes its bytes).
An entry is a metadata JSON written last, atomically, which records the size and sha256 of each
blob written before it; an entry whose blobs do not match is treated as missing and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from audiopack.atomic import atomic_write_bytes, atomic_write_text

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


def content_key(value: Any) -> str:
    """sha256 of canonical JSON: the same inputs give the same key on every machine."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Store:
    """One namespace (e.g. "segments") of the cache: entries of blobs plus metadata."""

    def __init__(self, root: Path, namespace: str) -> None:
        self.folder = root / f"v{FORMAT_VERSION}" / namespace

    def _meta_path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def blob_path(self, key: str, suffix: str) -> Path:
        return self.folder / key[:2] / f"{key}.{suffix}"

    def has(self, key: str, suffixes: Iterable[str] = ()) -> bool:
        """Cheap check: metadata present and every named blob present with its recorded size."""
        meta = self.meta(key, verify=False)
        if meta is None:
            return False
        blobs = meta.get("_blobs", {})
        for suffix in suffixes:
            record = blobs.get(suffix)
            path = self.blob_path(key, suffix)
            if record is None or not path.is_file() or path.stat().st_size != record["size"]:
                return False
        return True

    def meta(self, key: str, verify: bool = False) -> dict[str, Any] | None:
        """The entry's metadata, or None when missing or corrupt (verify=True checks hashes)."""
        path = self._meta_path(key)
        try:
            meta = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("_key") != key:
            log.warning("cache entry %s is corrupt; it will be rebuilt", key[:12])
            return None
        if verify:
            for suffix, record in meta.get("_blobs", {}).items():
                blob = self.blob_path(key, suffix)
                try:
                    ok = (
                        blob.stat().st_size == record["size"]
                        and file_sha256(blob) == record["sha256"]
                    )
                except OSError:
                    ok = False
                if not ok:
                    log.warning("cache blob %s.%s is corrupt; it will be rebuilt", key[:12], suffix)
                    return None
        return meta

    def read_blob(self, key: str, suffix: str) -> bytes | None:
        """A blob whose bytes match the recorded hash, else None."""
        meta = self.meta(key)
        if meta is None or suffix not in meta.get("_blobs", {}):
            return None
        try:
            data = self.blob_path(key, suffix).read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != meta["_blobs"][suffix]["sha256"]:
            log.warning("cache blob %s.%s is corrupt; it will be rebuilt", key[:12], suffix)
            return None
        return data

    def put(self, key: str, meta: Mapping[str, Any], blobs: Mapping[str, bytes]) -> None:
        records = {}
        for suffix, data in blobs.items():
            atomic_write_bytes(self.blob_path(key, suffix), data, durable=False)
            records[suffix] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        self._write_meta(key, meta, records)

    def add_blob_files(self, key: str, meta: Mapping[str, Any], files: Mapping[str, Path]) -> None:
        """Record blobs already written (atomically) at blob_path(key, suffix); merges entries."""
        old = self.meta(key) or {}
        records = dict(old.get("_blobs", {}))
        for suffix, path in files.items():
            records[suffix] = {"size": path.stat().st_size, "sha256": file_sha256(path)}
        merged = {k: v for k, v in old.items() if not k.startswith("_")}
        merged.update(meta)
        self._write_meta(key, merged, records)

    def _write_meta(self, key: str, meta: Mapping[str, Any], records: Mapping[str, Any]) -> None:
        body = dict(meta)
        body["_key"] = key
        body["_blobs"] = dict(records)
        atomic_write_text(self._meta_path(key), json.dumps(body, ensure_ascii=False), durable=False)

    def keys(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return [p.stem for p in self.folder.glob("*/*.json")]

    def remove(self, key: str) -> int:
        """Delete an entry; returns bytes freed."""
        freed = 0
        for path in (self.folder / key[:2]).glob(f"{key}.*"):
            try:
                freed += path.stat().st_size
                path.unlink()
            except OSError:
                pass
        return freed

    def size_bytes(self) -> int:
        if not self.folder.is_dir():
            return 0
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())
