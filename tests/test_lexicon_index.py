"""The lexicon tokenizer reads jieba's dictionary from a SQLite index and hides words lazily.

It must cut exactly as the eager construction did (``tokenizer.initialize()`` plus a scan of
the whole dictionary), build its index once in the user cache folder, and fall back to jieba's
in-memory dictionary whenever the index cannot be had.
"""

from __future__ import annotations

import logging
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jieba
import pytest
from jieba import finalseg

from audiopack import lexicon
from audiopack.lexicon import Lexicon, builtin_lexicon, tokenizer_for
from audiopack.read import load_document

ROOT = Path(__file__).resolve().parent.parent
MANUSCRIPT_SUFFIXES = {".txt", ".md", ".docx"}
#: Words of a user lexicon on top of the built-in one: frequent ones, so many sentences and
#: many dictionary words that hide them are involved.
USER_RULES = (("行长", "航掌"), ("重庆", "崇庆"), ("长期", "常期"), ("发展", "发展"),
              ("干部", "干部"), ("重要", "众要"))  # fmt: skip


@dataclass(frozen=True)
class Segmentation:
    """How one tokenizer cut every corpus sentence, and what a lexicon made of them."""

    tokens: tuple[tuple[str, ...], ...]
    applied: tuple[str, ...]


def _corpus_sentences() -> tuple[str, ...]:
    """Every sentence of the manuscripts in tests/corpus and script/."""
    paths = sorted(
        p
        for p in (ROOT / "tests" / "corpus").iterdir()
        if p.suffix in MANUSCRIPT_SUFFIXES and p.name != "SOURCES.md"
    )
    paths += sorted(p for p in (ROOT / "script").glob("*") if p.suffix in MANUSCRIPT_SUFFIXES)
    sentences: list[str] = []
    for path in paths:
        document = load_document(path)
        texts = ([document.title] if document.title else []) + [b.text for b in document.blocks]
        for text in texts:
            sentences += [s for s in re.split(r"[。！？；\n]", text) if s.strip()]
    return tuple(sentences)


SENTENCES = _corpus_sentences()
LEXICONS = {
    "builtin": builtin_lexicon(),
    "user": builtin_lexicon().merged(Lexicon(USER_RULES)),
}


def _make_tokenizer_eager(words: frozenset[str]) -> Any:
    """The construction the index replaced, kept as the reference."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in sorted(words):
        known = tokenizer.FREQ.get(word, 0)
        tokenizer.add_word(word, max(known, tokenizer.suggest_freq(word, tune=False), 1))
    pattern = re.compile("|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)))
    hiding = [
        (word, freq)
        for word, freq in tokenizer.FREQ.items()
        if freq and word not in words and pattern.search(word)
    ]
    for word, freq in hiding:
        tokenizer.del_word(word)
        if words.isdisjoint(tokenizer.cut(word, HMM=False)):
            tokenizer.add_word(word, freq)
    return tokenizer


def _segment(tokenizer: Any, rules: Lexicon) -> Segmentation:
    mapping = rules.mapping
    tokens = tuple(tuple(tokenizer.cut(sentence, HMM=True)) for sentence in SENTENCES)
    applied = tuple("".join(mapping.get(t, t) for t in cut) for cut in tokens)
    return Segmentation(tokens, applied)


@pytest.fixture(scope="session")
def eager_segmentations() -> dict[str, Segmentation]:
    """The reference cuts; jieba's global force-split set is restored afterwards."""
    saved = finalseg.Force_Split_Words
    try:
        result = {}
        for name, rules in LEXICONS.items():
            finalseg.Force_Split_Words = set()
            result[name] = _segment(_make_tokenizer_eager(frozenset(rules.mapping)), rules)
        return result
    finally:
        finalseg.Force_Split_Words = saved


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index built once for the session, to copy into a test's cache folder."""
    path = tmp_path_factory.mktemp("index") / lexicon._dictionary_file().index_name
    lexicon._build_index(path)
    return path


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh process state: empty XDG cache folder, no tokenizer or dictionary loaded yet,
    and jieba's global force-split set emptied (the eager reference fills it)."""
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    # The other candidate folders, so no test reads or writes the real ones.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setattr(lexicon, "_TOKENIZERS", {})
    monkeypatch.setattr(lexicon, "_DICTIONARY", None)
    monkeypatch.setattr(finalseg, "Force_Split_Words", set())
    yield home


def _index_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("jieba-dict-*"))


def _install(built_index: Path, cache_home: Path) -> Path:
    folder = cache_home / "audiopack"
    folder.mkdir(parents=True)
    return Path(shutil.copy(built_index, folder / built_index.name))


# ------------------------------------------------------------------------ same segmentation


@pytest.mark.parametrize("name", sorted(LEXICONS))
def test_same_segmentation_as_eager_tokenizer(
    name: str,
    cache_home: Path,
    built_index: Path,
    eager_segmentations: dict[str, Segmentation],
) -> None:
    _install(built_index, cache_home)
    rules = LEXICONS[name]
    tokenizer = tokenizer_for(frozenset(rules.mapping))
    assert isinstance(lexicon._DICTIONARY, lexicon._SqliteWords)
    assert _segment(tokenizer, rules) == eager_segmentations[name]
    # Through the public entry point too (it only cuts sentences containing a rule word).
    expected = eager_segmentations[name].applied
    assert tuple(rules.apply(sentence) for sentence in SENTENCES) == expected
    assert len(SENTENCES) > 400


def test_rule_words_get_the_eager_frequencies_and_total(
    cache_home: Path, built_index: Path
) -> None:
    _install(built_index, cache_home)
    words = frozenset(LEXICONS["user"].mapping)
    eager = _make_tokenizer_eager(words)
    lazy = tokenizer_for(words)
    assert {w: lazy.FREQ[w] for w in words} == {w: eager.FREQ[w] for w in words}
    dictionary_total = jieba.Tokenizer.gen_pfdict(jieba.Tokenizer().get_dict_file())[1]
    assert lazy.total == dictionary_total + sum(lazy.FREQ[w] for w in words)
    # The eager construction re-added each dictionary word it kept, counting its freq twice.
    pattern = re.compile("|".join(map(re.escape, words)))
    kept = [w for w, f in eager.FREQ.items() if f and w not in words and pattern.search(w)]
    assert eager.total == lazy.total + sum(eager.FREQ[w] for w in kept)


def test_hiding_words_are_decided_on_first_lookup(cache_home: Path, built_index: Path) -> None:
    _install(built_index, cache_home)
    tokenizer = tokenizer_for(frozenset({"行长"}))
    frequencies = tokenizer.FREQ
    assert not dict.__contains__(frequencies, "银行行长")  # nothing decided up front
    assert frequencies["银行行长"] == 0  # jieba cuts it 银行|行长: dropped
    assert "银行行长" in frequencies  # still a prefix: the DAG extends through it
    assert frequencies["行长"] > 0
    assert "".join(tokenizer.cut("银行行长期待")) == "银行行长期待"
    assert Lexicon((("行长", "航掌"),)).apply("银行行长期待") == "银行航掌期待"
    assert frequencies.get("不是一个词") is None
    assert frequencies.get("不是一个词", 7) == 7


def test_nested_hiding_decisions_do_not_depend_on_order(
    cache_home: Path, built_index: Path
) -> None:
    # 极端重要 hides 重; without it jieba cuts 极端|重要, but 重要 hides 重 as well and is
    # dropped (重|要), so 极端重要 is dropped too, whichever of the two jieba looks up first.
    _install(built_index, cache_home)
    first = tokenizer_for(frozenset({"重"}))
    assert first.FREQ["极端重要"] == 0
    assert first.FREQ["重要"] == 0
    lexicon._TOKENIZERS.clear()
    second = tokenizer_for(frozenset({"重"}))
    assert second.FREQ["重要"] == 0
    assert second.FREQ["极端重要"] == 0


def test_word_looked_up_while_adding_rule_words_is_still_decided(
    cache_home: Path, built_index: Path
) -> None:
    # jieba's suggest_freq("工商银行行长") looks up 银行行长 before the rule words are all in;
    # it must still be decided (dropped: 银行|行长) like every other word hiding 行长.
    _install(built_index, cache_home)
    rules = Lexicon((("工商银行行长", "工商银行航掌"), ("行长", "航掌")))
    assert rules.apply("银行行长") == "银行航掌"
    assert rules.apply("工商银行行长说") == "工商银行航掌说"


def test_dropped_word_is_not_rebuilt_by_the_hmm(cache_home: Path, built_index: Path) -> None:
    # Without 重要 jieba cuts 重|要, and its HMM would join the two single characters again;
    # the eager construction's del_word() forbade that, so must the lazy decision.
    _install(built_index, cache_home)
    assert Lexicon((("重", "崇"),)).apply("这很重要") == "这很崇要"


def test_threads_cutting_a_fresh_tokenizer_agree(
    cache_home: Path, built_index: Path, eager_segmentations: dict[str, Segmentation]
) -> None:
    _install(built_index, cache_home)
    rules = LEXICONS["user"]
    tokenizer = tokenizer_for(frozenset(rules.mapping))
    start = threading.Barrier(4)
    results: list[Segmentation] = []

    def cut_all() -> None:
        start.wait()
        results.append(_segment(tokenizer, rules))

    threads = [threading.Thread(target=cut_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [eager_segmentations["user"]] * 4


# ---------------------------------------------------------------------------------- the index


def test_index_is_built_in_the_cache_folder(cache_home: Path) -> None:
    assert builtin_lexicon().apply("按时还款") == "按时环款"
    folder = cache_home / "audiopack"
    (index,) = _index_files(folder)
    assert index.name == lexicon._dictionary_file().index_name
    assert index.suffix == ".sqlite3"
    assert isinstance(lexicon._DICTIONARY, lexicon._SqliteWords)
    assert lexicon._DICTIONARY.path == index


def test_index_holds_exactly_what_gen_pfdict_makes(built_index: Path) -> None:
    frequencies, total = jieba.Tokenizer.gen_pfdict(jieba.Tokenizer().get_dict_file())
    with sqlite3.connect(built_index) as connection:
        stored = dict(connection.execute("SELECT word, freq FROM words"))
        meta = dict(connection.execute("SELECT key, value FROM meta"))
    assert stored == frequencies
    assert int(meta["total"]) == total
    assert meta["jieba"] == jieba.__version__


def test_existing_index_is_reused(
    cache_home: Path, built_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install(built_index, cache_home)

    def must_not_build(path: Path) -> None:
        raise AssertionError(f"rebuilt {path}")

    monkeypatch.setattr(lexicon, "_build_index", must_not_build)
    assert builtin_lexicon().apply("按时还款") == "按时环款"
    assert isinstance(lexicon._DICTIONARY, lexicon._SqliteWords)


def test_index_name_follows_dictionary_and_format(monkeypatch: pytest.MonkeyPatch) -> None:
    dictionary = lexicon._dictionary_file()
    names = {
        dictionary.index_name,
        lexicon._DictionaryFile(dictionary.path, dictionary.size + 1, dictionary.mtime_ns,
                                dictionary.jieba_version).index_name,
        lexicon._DictionaryFile(dictionary.path, dictionary.size, dictionary.mtime_ns + 1,
                                dictionary.jieba_version).index_name,
        lexicon._DictionaryFile(dictionary.path, dictionary.size, dictionary.mtime_ns,
                                "0.0").index_name,
    }  # fmt: skip
    monkeypatch.setattr(lexicon, "_INDEX_FORMAT", lexicon._INDEX_FORMAT + 1)
    names.add(dictionary.index_name)
    assert len(names) == 5


# ------------------------------------------------------------------------------- fallbacks


def test_corrupt_index_is_replaced(
    cache_home: Path, eager_segmentations: dict[str, Segmentation]
) -> None:
    folder = cache_home / "audiopack"
    folder.mkdir(parents=True)
    index = folder / lexicon._dictionary_file().index_name
    index.write_bytes(b"not a database" * 1000)
    rules = LEXICONS["builtin"]
    assert (
        _segment(tokenizer_for(frozenset(rules.mapping)), rules) == eager_segmentations["builtin"]
    )
    assert isinstance(lexicon._DICTIONARY, lexicon._SqliteWords)
    assert lexicon._SqliteWords(index).total > 0  # rebuilt in place


def test_truncated_index_falls_back_to_memory(
    cache_home: Path,
    built_index: Path,
    monkeypatch: pytest.MonkeyPatch,
    eager_segmentations: dict[str, Segmentation],
) -> None:
    # A valid header but the pages cut off, and no way to rebuild it: jieba's own dictionary.
    index = _install(built_index, cache_home)
    with open(index, "r+b") as stream:
        stream.truncate(index.stat().st_size // 3)
    monkeypatch.setattr(lexicon, "_build_index", lambda path: None)  # no rebuild: must fall back
    rules = LEXICONS["builtin"]
    assert (
        _segment(tokenizer_for(frozenset(rules.mapping)), rules) == eager_segmentations["builtin"]
    )
    assert isinstance(lexicon._DICTIONARY, lexicon._InMemoryWords)


def test_index_failing_after_opening_falls_back_to_memory(
    cache_home: Path, built_index: Path, eager_segmentations: dict[str, Segmentation]
) -> None:
    _install(built_index, cache_home)
    rules = LEXICONS["user"]
    tokenizer = tokenizer_for(frozenset(rules.mapping))
    words = lexicon._DICTIONARY
    assert isinstance(words, lexicon._SqliteWords)
    words._index.connection.close()  # every further query raises sqlite3.ProgrammingError
    assert _segment(tokenizer, rules) == eager_segmentations["user"]
    assert words._fallback is not None


def test_unwritable_cache_falls_back_to_memory(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cache_home: Path,
    eager_segmentations: dict[str, Segmentation],
) -> None:
    # Files where the folders should be: nothing can be created under them (even as root).
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setenv("HOME", str(blocker))
    monkeypatch.setattr(tempfile, "tempdir", str(blocker))
    rules = LEXICONS["user"]
    tokenizer = tokenizer_for(frozenset(rules.mapping))
    assert isinstance(lexicon._DICTIONARY, lexicon._InMemoryWords)
    assert _segment(tokenizer, rules) == eager_segmentations["user"]


def test_unidentifiable_dictionary_falls_back_to_memory(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> lexicon._DictionaryFile:
        raise OSError("no such dictionary")

    monkeypatch.setattr(lexicon, "_dictionary_file", broken)
    assert builtin_lexicon().apply("按时还款") == "按时环款"
    assert isinstance(lexicon._DICTIONARY, lexicon._InMemoryWords)
    assert not (cache_home / "audiopack").exists()


# ------------------------------------------------------------------------ concurrent builders

_BUILDER = """
import sys, time
from pathlib import Path
from audiopack import lexicon
path, ready, go = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
ready.touch()
while not go.exists():
    time.sleep(0.005)
lexicon._build_index(path)
"""


def test_concurrent_builders_leave_one_valid_index(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "audiopack"
    index = folder / lexicon._dictionary_file().index_name
    go = tmp_path / "go"
    builders = [
        subprocess.Popen(
            [sys.executable, "-c", _BUILDER, str(index), str(tmp_path / f"ready{n}"), str(go)],
            cwd=ROOT,
        )
        for n in range(3)
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready{n}").exists() for n in range(3)):
        assert time.monotonic() < deadline, "builders did not start"
        time.sleep(0.01)
    go.touch()
    assert [builder.wait(timeout=120) for builder in builders] == [0, 0, 0]
    assert _index_files(folder) == [index]  # no temporary file left behind
    frequencies, total = jieba.Tokenizer.gen_pfdict(jieba.Tokenizer().get_dict_file())
    words = lexicon._SqliteWords(index)
    assert words.total == total
    assert words.frequency("银行行长") == frequencies["银行行长"] > 0
    assert words.frequency("银行行") == 0  # a prefix only
    assert words.frequency("不是一个词") is None
