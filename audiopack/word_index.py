"""jieba's main dictionary as a read-only SQLite index, so a process looks up only the words a
text touches instead of loading the whole dictionary (every word and prefix, seconds of CPU).

The index is built once per jieba dictionary, in this user's cache folder, from jieba's own
parser (:meth:`jieba.Tokenizer.gen_pfdict`): it holds exactly the words, frequencies and total
that jieba itself would load. If it can be neither built nor read, the dictionary is loaded
into memory instead: the same words, only slower.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import sqlite3
import threading
from collections.abc import Collection, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from audiopack.atomic import atomic_path
from audiopack.usercache import cache_folders

__all__ = ["Dictionary", "jieba_cache_dir", "main_dictionary"]

log = logging.getLogger(__name__)

#: Changes whenever the index's tables change: older files are then ignored.
_FORMAT = 1
#: SQLite's default limit on the parameters of one statement is 999 in older builds.
_BATCH = 900

_DICTIONARY: Dictionary | None = None
_LOCK = threading.Lock()


class Dictionary(Protocol):
    """Words of jieba's main dictionary with their frequencies."""

    @property
    def total(self) -> int:
        """The sum of all frequencies (jieba's ``total``)."""
        ...

    @property
    def max_length(self) -> int:
        """The length of the longest word."""
        ...

    def frequencies(self, words: Collection[str]) -> dict[str, int]:
        """The frequency of each of ``words`` that is a dictionary word."""
        ...


@dataclass(frozen=True)
class _Source:
    """jieba's dictionary file, found without importing jieba (its import is slow)."""

    path: Path

    @property
    def identity(self) -> str:
        stat = self.path.stat()
        key = f"{_FORMAT}:{self.path}:{stat.st_size}:{stat.st_mtime_ns}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def main_dictionary() -> Dictionary:
    """jieba's main dictionary, through the index when it can be built and read."""
    global _DICTIONARY
    with _LOCK:
        if _DICTIONARY is None:
            _DICTIONARY = _open()
        return _DICTIONARY


def jieba_cache_dir() -> str | None:
    """This user's folder for jieba's own cache files. jieba's default, the shared temp folder,
    is shared by every user of the machine: once one has written a cache file there, another
    can neither read it (mode 0600) nor replace it, and gets a traceback on stderr every run."""
    for folder in cache_folders():
        path = folder / "jieba"
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK):
            return str(path)
    return None


def _source() -> _Source:
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ImportError("jieba is not installed")
    return _Source(Path(spec.origin).parent / "dict.txt")


def _open() -> Dictionary:
    source = _source()
    try:
        name = f"words-{source.identity}.sqlite3"
    except OSError as e:
        log.debug("jieba's dictionary file cannot be read (%s); loading it in memory", e)
        return _MemoryDictionary(*_parse())
    for folder in cache_folders():
        path = folder / "jieba" / name
        if path.is_file():
            try:
                return _SqliteDictionary(path)
            except sqlite3.Error as e:
                log.debug("word index %s unreadable (%s); building it again", path, e)
    words, total = _parse()
    for folder in cache_folders():
        path = folder / "jieba" / name
        try:
            _build(path, words, total)
            return _SqliteDictionary(path)
        except (OSError, sqlite3.Error) as e:
            log.debug("cannot build the word index in %s: %s", path.parent, e)
    return _MemoryDictionary(words, total)


def _parse() -> tuple[dict[str, int], int]:
    """Every word of jieba's main dictionary with its frequency, and their total."""
    import jieba

    tokenizer = jieba.Tokenizer()
    entries, total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
    return {word: freq for word, freq in entries.items() if freq}, int(total)


def _build(path: Path, words: dict[str, int], total: int) -> None:
    log.info("building the word index %s (once per jieba dictionary)", path)
    with atomic_path(path, durable=False) as temporary, closing(sqlite3.connect(temporary)) as db:
        db.execute(
            "CREATE TABLE words (word TEXT PRIMARY KEY, freq INTEGER NOT NULL) WITHOUT ROWID"
        )
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
        db.executemany("INSERT INTO words VALUES (?, ?)", sorted(words.items()))
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("total", total), ("max_length", max(map(len, words), default=1))],
        )
        db.commit()


class _SqliteDictionary:
    def __init__(self, path: Path) -> None:
        # immutable: the file is only ever replaced whole (a rename), never written in place.
        self._db = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
        )
        try:
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            self._total, self._max_length = int(meta["total"]), int(meta["max_length"])
        except (sqlite3.Error, KeyError) as e:
            self._db.close()
            raise sqlite3.DatabaseError(f"not a word index: {e}") from e
        self._known: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def total(self) -> int:
        return self._total

    @property
    def max_length(self) -> int:
        return self._max_length

    def frequencies(self, words: Collection[str]) -> dict[str, int]:
        with self._lock:
            missing = [w for w in words if w not in self._known]
            for batch in _batches(missing):
                marks = ",".join("?" * len(batch))
                found = dict(
                    self._db.execute(f"SELECT word, freq FROM words WHERE word IN ({marks})", batch)
                )
                for word in batch:
                    self._known[word] = found.get(word, 0)
            return {w: f for w in words if (f := self._known[w])}


class _MemoryDictionary:
    def __init__(self, words: dict[str, int], total: int) -> None:
        self._words = words
        self._total = total
        self._max_length = max(map(len, words), default=1)

    @property
    def total(self) -> int:
        return self._total

    @property
    def max_length(self) -> int:
        return self._max_length

    def frequencies(self, words: Collection[str]) -> dict[str, int]:
        return {w: f for w in words if (f := self._words.get(w, 0))}


def _batches(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]
