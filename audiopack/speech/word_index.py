"""jieba's main dictionary as a read-only SQLite index, so a process looks up only the words a
text touches instead of loading the whole dictionary (every word and prefix, seconds of CPU);
with it, the tables of jieba's HMM for unknown words (looked up character by character), so a
process with the index never imports jieba; and pypinyin's readings of the dictionary's most
frequent words, so a process whose words are all there never loads pypinyin's phrase tables.

The index is built once per jieba and pypinyin install, in this user's cache folder, from
jieba's own parser (:meth:`jieba.Tokenizer.gen_pfdict`) and ``jieba.finalseg``'s tables: it
holds exactly the words, frequencies, total and probabilities that jieba itself would load. If
it can be neither built nor read, the dictionary is loaded into memory instead: the same words,
only slower.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

from audiopack.atomic import atomic_path
from audiopack.usercache import cache_folders

__all__ = [
    "Dictionary",
    "main_dictionary",
    "package_identity",
    "pypinyin_reading",
]

log = logging.getLogger(__name__)

#: Changes whenever the index's tables change: older files are then ignored.
_FORMAT = 3
#: How many of the most frequent dictionary words have their reading in the index: most words
#: of running text, for about a second of pypinyin when the index is built.
_READ_WORDS = 40_000
#: The HMM's states, in the order of the emission table's columns.
_STATES = "BMES"
#: SQLite's default limit on the parameters of one statement is 999 in older builds.
_BATCH = 900

_V = TypeVar("_V")

_DICTIONARY: Dictionary | None = None
_LOCK = threading.Lock()


class Dictionary(Protocol):
    """Words of jieba's main dictionary with their frequencies, and the tables of its HMM
    (:class:`audiopack.speech.word_route.HiddenMarkovModel`)."""

    #: The sum of all frequencies (jieba's ``total``).
    total: int
    #: The length of the longest word.
    max_length: int

    @property
    def start(self) -> Mapping[str, float]:
        """The log probability of each state (B, M, E, S) starting a run."""
        ...

    @property
    def trans(self) -> Mapping[str, Mapping[str, float]]:
        """The log probability of state ``next`` following ``state``: ``trans[state][next]``."""
        ...

    def emissions(self, chars: Collection[str]) -> Mapping[str, Mapping[str, float]]:
        """For each of ``chars`` the HMM knows, its log probability by state."""
        ...

    def frequencies(self, words: Collection[str]) -> dict[str, int]:
        """The frequency of each of ``words`` that is a dictionary word."""
        ...

    def reading(self, han: str) -> tuple[str, ...]:
        """:func:`pypinyin_reading` of ``han``, from the index when it has it."""
        ...


def package_identity(name: str) -> str:
    """Which install of package ``name`` this is (its ``__init__``'s path, size and time):
    it changes with every install or upgrade, and is found without importing the package or
    ``importlib.metadata`` (each costs more than a small rebuild's reading)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return f"{name}:absent"
    stat = os.stat(spec.origin)
    return f"{name}:{spec.origin}:{stat.st_size}:{stat.st_mtime_ns}"


def pypinyin_reading(han: str) -> tuple[str, ...]:
    """pypinyin's toned syllables of ``han`` (Han characters), one per character: numeric
    tones with 5 for the neutral tone (``"银行"`` → ``("yin2", "hang2")``)."""
    return _pypinyin_reading(han)


@lru_cache(maxsize=65536)
def _pypinyin_reading(han: str) -> tuple[str, ...]:
    from pypinyin import Style, lazy_pinyin

    syllables: list[str] = lazy_pinyin(
        han, style=Style.TONE3, neutral_tone_with_five=True, errors=_unknown
    )
    if len(syllables) != len(han):  # pypinyin joins what it cannot read: one per character
        return tuple(s for ch in han for s in _pypinyin_reading(ch)) if len(han) > 1 else ("ling2",)
    return tuple(syllables)


def _unknown(chars: str) -> Any:
    # 〇 is a zero; anything else pypinyin cannot read (rare extension characters) too is
    # read as the nearest thing to silence a syllable can be, never dropped.
    return ["ling2" if ch == "〇" else "e5" for ch in chars]


@dataclass(frozen=True)
class _Source:
    """jieba's dictionary file, found without importing jieba (its import is slow)."""

    path: Path

    @property
    def identity(self) -> str:
        stat = self.path.stat()
        packages = ":".join(map(package_identity, ("jieba", "pypinyin")))
        key = f"{_FORMAT}:{self.path}:{stat.st_size}:{stat.st_mtime_ns}:{packages}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def main_dictionary() -> Dictionary:
    """jieba's main dictionary, through the index when it can be built and read."""
    global _DICTIONARY
    with _LOCK:
        if _DICTIONARY is None:
            _DICTIONARY = _open_dictionary()
        return _DICTIONARY


def _source() -> _Source:
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ImportError("jieba is not installed")
    return _Source(Path(spec.origin).parent / "dict.txt")


def _open_dictionary() -> Dictionary:
    source = _source()
    try:
        name = f"words-{source.identity}.sqlite3"
    except (OSError, ImportError) as e:
        log.debug("jieba's dictionary file cannot be read (%s); loading it in memory", e)
        return _MemoryDictionary(*_parse())
    # Folders in order of preference, each read or built before the next is looked at: the
    # shared temp folder (where another user could have left a file) only as a last resort.
    parsed: tuple[dict[str, int], int] | None = None
    for folder in cache_folders():
        path = folder / "jieba" / name
        if path.is_file():
            try:
                return _SqliteDictionary(path)
            except sqlite3.Error as e:
                log.debug("word index %s unreadable (%s); building it again", path, e)
        parsed = parsed or _parse()
        try:
            _build(path, *parsed)
            return _SqliteDictionary(path)
        except (OSError, sqlite3.Error) as e:
            log.debug("cannot build the word index in %s: %s", path.parent, e)
    words, total = parsed or _parse()
    return _MemoryDictionary(words, total)


def _parse() -> tuple[dict[str, int], int]:
    """Every word of jieba's main dictionary with its frequency, and their total."""
    import jieba

    tokenizer = jieba.Tokenizer()
    entries, total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
    return {word: freq for word, freq in entries.items() if freq}, int(total)


@dataclass(frozen=True)
class _HmmTables:
    """jieba.finalseg's tables: ``emit`` by character, then state."""

    start: dict[str, float]
    trans: dict[str, dict[str, float]]
    emit: dict[str, dict[str, float]]


@lru_cache(maxsize=1)
def _hmm_tables() -> _HmmTables:
    from jieba import finalseg

    emit: dict[str, dict[str, float]] = {}
    for state, table in finalseg.emit_P.items():
        for ch, logp in table.items():
            emit.setdefault(ch, {})[state] = logp
    return _HmmTables(
        {state: float(p) for state, p in finalseg.start_P.items()},
        {state: dict(following) for state, following in finalseg.trans_P.items()},
        emit,
    )


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
        _build_hmm(db, _hmm_tables())
        db.execute("CREATE TABLE readings (word TEXT PRIMARY KEY, syllables TEXT) WITHOUT ROWID")
        frequent = sorted(words, key=lambda w: (-words[w], w))
        read = [w for w in frequent if all(map(_is_cjk, w))][:_READ_WORDS]
        db.executemany(
            "INSERT INTO readings VALUES (?, ?)",
            sorted((w, " ".join(pypinyin_reading(w))) for w in read),
        )
        db.commit()


def _build_hmm(db: sqlite3.Connection, tables: _HmmTables) -> None:
    """The HMM's tables: a state row per transition (``next`` empty for the start), and the
    emissions by character, NULL where jieba has none for the state."""
    db.execute(
        "CREATE TABLE hmm (state TEXT, next TEXT, logp REAL NOT NULL, PRIMARY KEY (state, next))"
    )
    db.executemany("INSERT INTO hmm VALUES (?, '', ?)", sorted(tables.start.items()))
    db.executemany(
        "INSERT INTO hmm VALUES (?, ?, ?)",
        sorted((s, n, p) for s, following in tables.trans.items() for n, p in following.items()),
    )
    db.execute(
        "CREATE TABLE emit (ch TEXT PRIMARY KEY, b REAL, m REAL, e REAL, s REAL) WITHOUT ROWID"
    )
    db.executemany(
        "INSERT INTO emit VALUES (?, ?, ?, ?, ?)",
        sorted((ch, *(by_state.get(s) for s in _STATES)) for ch, by_state in tables.emit.items()),
    )


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


class _SqliteDictionary:
    def __init__(self, path: Path) -> None:
        # immutable: the file is only ever replaced whole (a rename), never written in place.
        self._db = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
        )
        try:
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            self.total, self.max_length = int(meta["total"]), int(meta["max_length"])
            self.start: dict[str, float] = {}
            self.trans: dict[str, dict[str, float]] = {}
            for state, following, logp in self._db.execute("SELECT state, next, logp FROM hmm"):
                if following:
                    self.trans.setdefault(state, {})[following] = logp
                else:
                    self.start[state] = logp
        except (sqlite3.Error, KeyError) as e:
            self._db.close()
            raise sqlite3.DatabaseError(f"not a word index: {e}") from e
        self._known: dict[str, int] = {}
        self._emitted: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def frequencies(self, words: Collection[str]) -> dict[str, int]:
        return self._rows(words, self._known, "words", "word", ("freq",), lambda row: row[0], 0)

    def emissions(self, chars: Collection[str]) -> dict[str, dict[str, float]]:
        def by_state(row: tuple[Any, ...]) -> dict[str, float]:
            return {s: p for s, p in zip(_STATES, row, strict=True) if p is not None}

        return self._rows(chars, self._emitted, "emit", "ch", tuple(_STATES.lower()), by_state, {})

    def _rows(
        self,
        keys: Collection[str],
        known: dict[str, _V],
        table: str,
        key_column: str,
        columns: tuple[str, ...],
        value: Callable[[tuple[Any, ...]], _V],
        absent: _V,
    ) -> dict[str, _V]:
        """``value`` of the ``columns`` of each of ``keys`` that ``table`` holds; ``known``
        remembers every key asked (``absent`` when not there), so SQLite is asked once."""
        with self._lock:
            missing = [k for k in keys if k not in known]
            for batch in _batches(missing):
                marks = ",".join("?" * len(batch))
                query = (
                    f"SELECT {key_column}, {', '.join(columns)} FROM {table} "
                    f"WHERE {key_column} IN ({marks})"
                )
                found = {key: value(tuple(rest)) for key, *rest in self._db.execute(query, batch)}
                for key in batch:
                    known[key] = found.get(key, absent)
            return {k: v for k in keys if (v := known[k])}

    def reading(self, han: str) -> tuple[str, ...]:
        with self._lock:
            row = self._db.execute(
                "SELECT syllables FROM readings WHERE word = ?", (han,)
            ).fetchone()
        if row is not None and len(syllables := tuple(str(row[0]).split())) == len(han):
            return syllables
        return pypinyin_reading(han)


class _MemoryDictionary:
    def __init__(self, words: dict[str, int], total: int) -> None:
        self._words = words
        self.total = total
        self.max_length = max(map(len, words), default=1)
        self._hmm = _hmm_tables()
        self.start = self._hmm.start
        self.trans = self._hmm.trans

    def frequencies(self, words: Collection[str]) -> dict[str, int]:
        return {w: f for w in words if (f := self._words.get(w, 0))}

    def emissions(self, chars: Collection[str]) -> dict[str, dict[str, float]]:
        return {ch: by_state for ch in chars if (by_state := self._hmm.emit.get(ch))}

    def reading(self, han: str) -> tuple[str, ...]:
        return pypinyin_reading(han)


def _batches(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]
