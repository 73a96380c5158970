"""The lexicon's segmentation: rule words are jieba words where jieba's statistics allow it.

Each text is cut by a tokenizer holding only the dictionary words it contains (jieba's public
API only); it must cut every corpus sentence as the reference construction (jieba's whole
in-memory dictionary, rule words added, hiding words deleted) does.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jieba
import pytest
from jieba import finalseg

from audiopack.speech import segmenter, word_index
from audiopack.speech.lexicon import Lexicon, builtin_lexicon, is_pinyin_reading
from audiopack.text.read import load_document

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


def _make_tokenizer_reference(words: frozenset[str]) -> Any:
    """The construction on jieba's in-memory dictionary, kept as the reference."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in sorted(words):
        known = tokenizer.FREQ.get(word, 0)
        tokenizer.add_word(word, max(known, tokenizer.suggest_freq(word, tune=False), 1))
    pattern = re.compile("|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)))
    hiding = sorted(
        (
            (word, freq)
            for word, freq in tokenizer.FREQ.items()
            if freq and word not in words and pattern.search(word)
        ),
        key=lambda item: len(item[0]),
    )
    for word, freq in hiding:
        tokenizer.del_word(word)
        if words.isdisjoint(tokenizer.cut(word, HMM=False)):
            tokenizer.add_word(word, freq)
    return tokenizer


def _segment(tokenizer: Any, rules: Lexicon) -> Segmentation:
    # Readings in pinyin are for the reading layer: the text keeps the word.
    mapping = {w: r for w, r in rules.mapping.items() if not is_pinyin_reading(r)}
    tokens = tuple(tuple(tokenizer.cut(sentence, HMM=True)) for sentence in SENTENCES)
    applied = tuple("".join(mapping.get(t, t) for t in cut) for cut in tokens)
    return Segmentation(tokens, applied)


@pytest.fixture(scope="module")
def reference() -> dict[str, Segmentation]:
    """The reference cuts; jieba's global force-split set is restored afterwards."""
    saved = finalseg.Force_Split_Words
    try:
        result = {}
        for name, rules in LEXICONS.items():
            finalseg.Force_Split_Words = set()
            result[name] = _segment(_make_tokenizer_reference(frozenset(rules.mapping)), rules)
        return result
    finally:
        finalseg.Force_Split_Words = saved


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No dictionary opened yet in this process, jieba's global force-split set emptied."""
    monkeypatch.setattr(word_index, "_DICTIONARY", None)
    monkeypatch.setattr(finalseg, "Force_Split_Words", set())
    yield


@pytest.mark.parametrize("name", sorted(LEXICONS))
def test_same_segmentation_as_reference(
    name: str, fresh: None, reference: dict[str, Segmentation]
) -> None:
    rules = LEXICONS[name]
    words = frozenset(rules.mapping)
    cuts = tuple(tuple(segmenter.cut(sentence, words)) for sentence in SENTENCES)
    assert cuts == reference[name].tokens
    # Through the public entry point too (it only cuts sentences containing a rule word).
    assert tuple(rules.apply(sentence) for sentence in SENTENCES) == reference[name].applied
    assert len(SENTENCES) > 400
    # jieba's own process-wide state is left alone.
    assert finalseg.Force_Split_Words == set()


def test_rule_words_on_word_boundaries(fresh: None) -> None:
    words = frozenset({"行长"})
    assert segmenter.cut("银行行长期待", words) == ["银行", "行长", "期待"]
    assert segmenter.cut("执行长期规划", words) == ["执行", "长期", "规划"]
    assert Lexicon((("行长", "航掌"),)).apply("银行行长期待") == "银行航掌期待"


def test_nested_hiding_words(fresh: None) -> None:
    # 极端重要 hides 重; without it jieba cuts 极端|重要, but 重要 hides 重 as well and is
    # dropped (重|要), so 极端重要 is dropped too.
    assert segmenter.cut("极端重要", frozenset({"重"})) == ["极端", "重", "要"]


def test_longer_rule_word_containing_another(fresh: None) -> None:
    rules = Lexicon((("工商银行行长", "工商银行航掌"), ("行长", "航掌")))
    assert rules.apply("银行行长") == "银行航掌"
    assert rules.apply("工商银行行长说") == "工商银行航掌说"


def test_dropped_word_is_not_rebuilt_by_the_hmm(fresh: None) -> None:
    # Without 重要 jieba cuts 重|要, and its HMM would join the two single characters again.
    assert Lexicon((("重", "崇"),)).apply("这很重要") == "这很崇要"


def test_threads_cutting_a_fresh_tokenizer_agree(
    fresh: None, reference: dict[str, Segmentation]
) -> None:
    rules = LEXICONS["user"]
    start = threading.Barrier(4)
    results: list[Segmentation] = []

    def cut_all() -> None:
        start.wait()
        words = frozenset(rules.mapping)
        cuts = tuple(tuple(segmenter.cut(sentence, words)) for sentence in SENTENCES)
        results.append(Segmentation(cuts, reference["user"].applied))

    threads = [threading.Thread(target=cut_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [reference["user"]] * 4


def test_dictionary_cache_is_per_user(
    fresh: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The word index goes to this user's cache folder, not the temp folder every user shares
    (where another user's file can be neither read nor replaced)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    words = frozenset({"行长"})
    assert segmenter.cut("银行行长", words) == ["银行", "行长"]
    folder = tmp_path / "audiopack" / "jieba"
    assert [p.name for p in folder.iterdir()] == [next(folder.glob("words-*.sqlite3")).name]
