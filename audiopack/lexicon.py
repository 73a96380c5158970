"""Pronunciation lexicon: ``词=读法`` rules applied on jieba word boundaries.

A rule replaces a whole word with a reading, usually the same word with a polyphonic character
swapped for a homophone that has only the wanted reading (``还款=环款``). Rules only fire on word
boundaries: every rule word is added to a private :class:`jieba.Tokenizer`, and dictionary words
that merely *contain* a rule word (``银行行长`` for ``行长``) are removed from that tokenizer, so
jieba decides by its own statistics whether the rule word is a word in context (``银行|行长`` is
rewritten, ``行|长期`` is not).

jieba is imported lazily and only when a text contains a rule word, so start-up stays light.

Loading jieba's dictionary the usual way (``Tokenizer.initialize``, a marshal load of ~500k
entries) and scanning it for words that hide a rule word costs ~0.7 s of CPU per process. Instead
the dictionary is kept in a read-only SQLite index (``jieba-dict-*.sqlite3`` under
``$XDG_CACHE_HOME/audiopack``, ``~/.cache/audiopack`` or the temp folder), built once per machine
from jieba's own ``gen_pfdict``, and the tokenizer's ``FREQ`` becomes a :class:`dict` that asks
the index for the few thousand words a text touches. Whether a dictionary word hides a rule word
is decided the first time jieba looks it up. If the index cannot be built or read, the tokenizer
falls back to jieba's in-memory dictionary: same segmentation, only slower.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload

from audiopack.errors import ConfigError

if TYPE_CHECKING:
    import sqlite3

log = logging.getLogger(__name__)

#: The tokenizers, one per set of rule words (adding words mutates a tokenizer).
_TOKENIZERS: dict[frozenset[str], Any] = {}
_TOKENIZER_LOCK = threading.Lock()

#: jieba's main dictionary as every tokenizer of this process reads it (index or in memory).
_DICTIONARY: _WordSource | None = None
_DICTIONARY_LOCK = threading.Lock()

#: Bump when the index layout changes: the file name changes with it, old files are ignored.
_INDEX_FORMAT = 1

_T = TypeVar("_T")


@dataclass(frozen=True)
class Lexicon:
    """Pronunciation rules as ``(word, reading)`` pairs; later pairs for the same word win."""

    rules: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        merged = dict(self.rules)  # later duplicates win, order of first appearance kept
        if len(merged) != len(self.rules):
            object.__setattr__(self, "rules", tuple(merged.items()))

    @property
    def mapping(self) -> dict[str, str]:
        return dict(self.rules)

    def fingerprint(self) -> str:
        """sha256 of the rules (order-independent), for cache keys."""
        text = "\n".join(f"{word}={reading}" for word, reading in sorted(self.rules))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def merged(self, other: Lexicon) -> Lexicon:
        """These rules plus ``other``'s; ``other`` wins for a word both define."""
        return Lexicon(self.rules + other.rules)

    def apply(self, text: str) -> str:
        """Replace every jieba token of ``text`` equal to a rule word by its reading.

        Rules whose reading is toned pinyin are decisions for the reading layer only: text
        engines are given the word as it stands.
        """
        mapping = {w: r for w, r in self.mapping.items() if not is_pinyin_reading(r)}
        if not text or not any(word in text for word in mapping):
            return text
        tokenizer = tokenizer_for(frozenset(self.mapping))
        return "".join(mapping.get(token, token) for token in tokenizer.cut(text, HMM=True))


#: One toned syllable (``wei2``, ``lv4``, ``er5``), tone 1-5, ``v`` for ü.
_SYLLABLE = re.compile(r"[a-z]*[aeiouvr][a-z]*[1-5]")


def is_pinyin_reading(reading: str) -> bool:
    """Whether a rule's reading is toned pinyin (``wei2 he2 xin1``) rather than characters."""
    parts = reading.split()
    return bool(parts) and all(_SYLLABLE.fullmatch(p) for p in parts)


def segment(text: str, lexicon: Lexicon) -> list[str]:
    """jieba's words of ``text``, each rule word of ``lexicon`` kept whole where it is a word."""
    if not text:
        return []
    return list(tokenizer_for(frozenset(lexicon.mapping)).cut(text, HMM=True))


def tokenizer_for(words: frozenset[str]) -> Any:
    """A jieba Tokenizer that keeps each of ``words`` as one word where jieba's stats allow it."""
    with _TOKENIZER_LOCK:
        tokenizer = _TOKENIZERS.get(words)
        if tokenizer is None:
            tokenizer = _make_tokenizer(words)
            _TOKENIZERS[words] = tokenizer
        return tokenizer


def _make_tokenizer(words: frozenset[str]) -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    frequencies = _WordFrequencies(_main_dictionary())
    # What Tokenizer.initialize() would set, without loading the whole dictionary.
    tokenizer.FREQ = frequencies
    tokenizer.total = frequencies.source.total
    tokenizer.initialized = True
    for word in sorted(words):
        # A word jieba does not know gets the frequency that makes it one token on its own; a
        # much higher one would also win against context ("行长期" would become "行长|期").
        known = tokenizer.FREQ.get(word, 0)
        tokenizer.add_word(word, max(known, tokenizer.suggest_freq(word, tune=False), 1))
    if words:
        frequencies.hide_words_containing(words, tokenizer)
    return tokenizer


# ------------------------------------------------------------------- the tokenizer's FREQ


class _WordSource(Protocol):
    """jieba's main dictionary as ``gen_pfdict`` makes it: word -> freq (0 for a bare prefix)."""

    @property
    def total(self) -> int: ...

    def frequency(self, word: str) -> int | None: ...


class _InMemoryWords:
    """The dictionary loaded by ``Tokenizer.initialize()``: jieba's own, slow path."""

    def __init__(self) -> None:
        import jieba

        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        self._frequencies: dict[str, int] = tokenizer.FREQ
        self._total: int = tokenizer.total

    @property
    def total(self) -> int:
        return self._total

    def frequency(self, word: str) -> int | None:
        return self._frequencies.get(word)


class _WordFrequencies(dict[str, int]):
    """A jieba ``Tokenizer.FREQ`` that reads the dictionary word by word, on demand.

    jieba only ever tests ``word in FREQ``, reads ``FREQ[word]`` / ``FREQ.get(word)`` and assigns
    ``FREQ[word] = freq`` (``add_word``). The dict's own entries are what is settled: words added
    by ``add_word``, dictionary words already looked up, and hiding decisions; so ``FREQ[word]``
    for a known word stays a plain dict lookup. Anything else goes to ``source`` once; misses are
    remembered too. Iterating or sizing this dict only sees the settled entries.
    """

    def __init__(self, source: _WordSource) -> None:
        super().__init__()
        self.source = source
        self._absent: set[str] = set()
        # Dictionary words that contain a rule word, with their freq, until decided.
        self._undecided: dict[str, int] = {}
        self._rule_words: frozenset[str] = frozenset()
        self._rule_word_pattern: re.Pattern[str] | None = None
        self._tokenizer: Any = None
        self._being_decided: set[str] = set()
        # Reentrant: deciding one word cuts it, which may decide the words inside it.
        self._decision_lock = threading.RLock()

    def hide_words_containing(self, rule_words: frozenset[str], tokenizer: Any) -> None:
        """From now on, a dictionary word containing one of ``rule_words`` (and not one itself)
        hides it: it is dropped (freq 0) when ``tokenizer``, without it, cuts it into pieces one
        of which is a rule word (银行行长 → 银行|行长), and kept otherwise (成长期 is 成长|期)."""
        longest_first = sorted(rule_words, key=len, reverse=True)
        self._rule_words = rule_words
        self._rule_word_pattern = re.compile("|".join(re.escape(word) for word in longest_first))
        self._tokenizer = tokenizer
        # Words looked up while the rule words were being added were settled too early.
        for word, freq in list(super().items()):
            if self._may_hide(word, freq):
                super().__delitem__(word)
                self._undecided[word] = freq

    def __contains__(self, word: object) -> bool:
        if super().__contains__(word):
            return True
        return isinstance(word, str) and self._stored_frequency(word) is not None

    def __missing__(self, word: str) -> int:
        freq = self._frequency(word)
        if freq is None:
            raise KeyError(word)
        return freq

    @overload
    def get(self, word: str, default: None = None, /) -> int | None: ...
    @overload
    def get(self, word: str, default: int, /) -> int: ...
    @overload
    def get(self, word: str, default: _T, /) -> int | _T: ...
    def get(self, word: str, default: object = None, /) -> object:
        freq = super().get(word)
        if freq is None:
            freq = self._frequency(word)
        return default if freq is None else freq

    def _frequency(self, word: str) -> int | None:
        """The word's freq for jieba, deciding first whether it hides a rule word."""
        freq = self._stored_frequency(word)
        if freq is None or not self._may_hide(word, freq):
            return freq
        return self._decide(word)  # or what another thread decided meanwhile

    def _stored_frequency(self, word: str) -> int | None:
        """The word's freq as the dictionary has it (not yet decided if it hides a rule word)."""
        freq = super().get(word)
        if freq is not None:
            return freq
        if word in self._absent:
            return None
        freq = self._undecided.get(word)
        if freq is not None:
            return freq
        freq = self.source.frequency(word)
        if freq is None:
            self._absent.add(word)
        elif self._may_hide(word, freq):
            self._undecided[word] = freq
        else:
            super().__setitem__(word, freq)
        return freq

    def _may_hide(self, word: str, freq: int) -> bool:
        pattern = self._rule_word_pattern
        return (
            pattern is not None
            and freq > 0
            and word not in self._rule_words
            and pattern.search(word) is not None
        )

    def _decide(self, word: str) -> int:
        """Settle an undecided word as the eager algorithm did: drop it if, without it, jieba
        cuts it into pieces one of which is a rule word; keep its freq otherwise."""
        with self._decision_lock:
            settled = super().get(word)
            if settled is not None:  # another thread got here first
                self._undecided.pop(word, None)
                return settled
            if word in self._being_decided:
                return 0  # cutting the word itself: it is absent, as after del_word
            freq = self._undecided[word]
            self._being_decided.add(word)
            try:
                pieces = self._tokenizer.lcut(word, HMM=False)
            finally:
                self._being_decided.discard(word)
            if not self._rule_words.isdisjoint(pieces):
                freq = 0  # the prefix entry stays: the DAG still extends through the word
            super().__setitem__(word, freq)
            del self._undecided[word]
            # The eager algorithm's del_word() also told jieba's HMM never to emit the word.
            from jieba import finalseg

            finalseg.add_force_split(word)
            log.debug("lexicon tokenizer: %s %s", "dropped" if freq == 0 else "kept", word)
            return freq


# ------------------------------------------------------------------ the dictionary index


def _main_dictionary() -> _WordSource:
    """jieba's main dictionary: the SQLite index, or in memory when no index can be had."""
    global _DICTIONARY
    with _DICTIONARY_LOCK:
        if _DICTIONARY is None:
            _DICTIONARY = _open_or_build_index() or _InMemoryWords()
        return _DICTIONARY


@dataclass(frozen=True)
class _DictionaryFile:
    """jieba's dictionary file and what identifies its content, for the index's name."""

    path: str
    size: int
    mtime_ns: int
    jieba_version: str

    @property
    def index_name(self) -> str:
        key = f"{self.jieba_version}|{self.size}|{self.mtime_ns}|{_INDEX_FORMAT}"
        return f"jieba-dict-{hashlib.sha256(key.encode()).hexdigest()[:16]}.sqlite3"


def _dictionary_file() -> _DictionaryFile:
    import jieba

    with jieba.Tokenizer().get_dict_file() as stream:
        stat = os.fstat(stream.fileno())
        return _DictionaryFile(str(stream.name), stat.st_size, stat.st_mtime_ns, jieba.__version__)


def _cache_folders() -> list[Path]:
    """Where the index may live, best first."""
    folders = []
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec says to ignore a relative one
        folders.append(Path(xdg) / "audiopack")
    with contextlib.suppress(RuntimeError):  # no home folder
        folders.append(Path.home() / ".cache" / "audiopack")
    folders.append(Path(tempfile.gettempdir()) / "audiopack")
    return folders


def _open_or_build_index() -> _SqliteWords | None:
    """The index of the first cache folder that has a valid one or can be given one."""
    # Any failure here only costs speed: the caller then loads jieba's dictionary as before.
    try:
        dictionary = _dictionary_file()
    except Exception as e:
        log.debug("lexicon index: cannot identify jieba's dictionary (%s); loading it", e)
        return None
    for folder in _cache_folders():
        path = folder / dictionary.index_name
        try:
            if path.is_file():
                return _SqliteWords(path)
        except Exception as e:
            log.debug("lexicon index %s: unreadable (%s); rebuilding it", path, e)
        try:
            _build_index(path)
            return _SqliteWords(path)
        except Exception as e:
            log.debug("lexicon index %s: cannot build it (%s)", path, e)
    log.debug("lexicon index: no usable cache folder; loading jieba's dictionary")
    return None


def _build_index(path: Path) -> None:
    """Write jieba's main dictionary, as ``Tokenizer.gen_pfdict`` reads it, to ``path``.

    Written to a temporary file next to ``path`` and renamed, so a reader never sees half an
    index and processes building it at the same time each leave a complete one.
    """
    import jieba

    frequencies, total = jieba.Tokenizer.gen_pfdict(jieba.Tokenizer().get_dict_file())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        _write_index(Path(temporary), sorted(frequencies.items()), total, jieba.__version__)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    log.debug("lexicon index %s: built (%d entries)", path, len(frequencies))


def _write_index(
    path: Path, frequencies: Iterable[tuple[str, int]], total: int, jieba_version: str
) -> None:
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as connection:
        # No journal or syncing while writing: the file is private until renamed.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute(
            "CREATE TABLE words (word TEXT PRIMARY KEY, freq INTEGER NOT NULL) WITHOUT ROWID"
        )
        connection.executemany("INSERT INTO words VALUES (?, ?)", frequencies)
        connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        connection.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("format", str(_INDEX_FORMAT)), ("total", str(total)), ("jieba", jieba_version)],
        )
        connection.commit()
    with open(path, "rb+") as written:  # on disk before the rename makes it visible
        os.fsync(written.fileno())


@dataclass(frozen=True)
class _OpenIndex:
    """A read-only connection to the index and what was read on opening it."""

    connection: sqlite3.Connection
    cursor: sqlite3.Cursor  # reused: a third cheaper per query than connection.execute
    total: int
    pid: int  # of the process that opened it


def _open_index(path: Path) -> _OpenIndex:
    """Open the index read-only; sqlite3.DatabaseError if it is damaged or of another format."""
    import sqlite3

    # immutable: the file is never changed in place (a rebuild renames a new file over it).
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    try:
        meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != str(_INDEX_FORMAT):
            raise sqlite3.DatabaseError(f"index format {meta.get('format')!r}")
        total = int(meta["total"])
        connection.execute("SELECT freq FROM words WHERE word = ?", ("的",)).fetchone()
    except BaseException:
        connection.close()
        raise
    return _OpenIndex(connection, connection.cursor(), total, os.getpid())


class _SqliteWords:
    """The index, usable from any thread (one query at a time).

    Should the file turn out damaged after opening, lookups switch to jieba's in-memory
    dictionary rather than fail (same answers, only slower).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._index = _open_index(path)
        self._fallback: _InMemoryWords | None = None

    @property
    def total(self) -> int:
        return self._index.total

    def frequency(self, word: str) -> int | None:
        with self._lock:
            if self._fallback is None:
                try:
                    if self._index.pid != os.getpid():  # a forked child must not share it
                        self._index = _open_index(self.path)
                    row = self._index.cursor.execute(
                        "SELECT freq FROM words WHERE word = ?", (word,)
                    ).fetchone()
                    return None if row is None else int(row[0])
                except Exception as e:  # damaged pages, file gone, ...: never fail a build
                    log.debug("lexicon index %s: %s; loading jieba's dictionary", self.path, e)
                    self._fallback = _InMemoryWords()
            return self._fallback.frequency(word)


def parse_lexicon(text: str, source: str) -> Lexicon:
    """Parse ``词=读法`` lines (``#`` comments, blank lines); ConfigError names source:line."""
    rules: list[tuple[str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, sep, reading = (part.strip() for part in line.partition("="))
        if not sep or not word or not reading or any(ch.isspace() for ch in word):
            raise ConfigError(
                f"lexicon {source}:{number}: expected 词=读法, got {line!r}"
                " (one rule per line, a word without spaces, '=', a non-empty reading)"
            )
        candidate = " ".join(reading.lower().replace("ü", "v").split())
        if is_pinyin_reading(candidate):
            reading = candidate
            if len(reading.split()) != len(word):
                raise ConfigError(
                    f"lexicon {source}:{number}: {word} has {len(word)} characters but"
                    f" {len(reading.split())} syllables in {reading!r}; give one per character"
                )
        rules.append((word, reading))
    return Lexicon(tuple(rules))


@lru_cache(maxsize=1)
def builtin_lexicon() -> Lexicon:
    """The rules shipped in ``audiopack/data/lexicon.txt``."""
    text = resources.files("audiopack").joinpath("data/lexicon.txt").read_text(encoding="utf-8")
    return parse_lexicon(text, "audiopack/data/lexicon.txt")


def load_lexicon(path: Path | None) -> Lexicon:
    """The built-in rules plus the rules of ``path`` (UTF-8; its rules win)."""
    base = builtin_lexicon()
    if path is None:
        return base
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"lexicon {path}: file not found; check the path") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"lexicon {path}: not UTF-8 ({e.reason}); save it as UTF-8") from None
    except OSError as e:
        raise ConfigError(f"lexicon {path}: cannot read it ({e.strerror})") from None
    return base.merged(parse_lexicon(text, str(path)))
