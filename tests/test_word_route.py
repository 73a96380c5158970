"""jieba's algorithm without jieba: the segmenter's word tables must cut, suggest frequencies
and mark words exactly as the jieba.Tokenizer the segmenter used to build for each text, and a
process with the word index must never import jieba.
"""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
import textwrap
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jieba
import pytest
from jieba import finalseg
from test_segmenter import LEXICONS, ROOT, SENTENCES

from audiopack.speech import segmenter, word_index, word_route
from audiopack.speech.word_route import WordTable

PADDING = "\U000f0000"


@pytest.fixture(scope="module")
def blank_dictionary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """An empty jieba dictionary file and a folder for jieba's cache of it; jieba's global
    force-split set emptied (the reference never adds a word with frequency 0)."""
    folder = tmp_path_factory.mktemp("jieba")
    path = folder / "empty.txt"
    path.write_bytes(b"")
    jieba.setLogLevel(logging.WARNING)
    saved = finalseg.Force_Split_Words
    finalseg.Force_Split_Words = set()
    try:
        yield str(path), str(folder)
    finally:
        finalseg.Force_Split_Words = saved


def _blank_tokenizer(blank: tuple[str, str]) -> Any:
    tokenizer = jieba.Tokenizer(blank[0])
    tokenizer.tmp_dir = blank[1]
    tokenizer.initialize()
    return tokenizer


def _reference_tokenizer(
    text: str, rules: frozenset[str], blank: tuple[str, str]
) -> tuple[Any, set[str], set[str]]:
    """The segmenter's construction as it was, on a jieba.Tokenizer (public API only)."""
    dictionary = word_index.main_dictionary()
    present = segmenter._substrings(
        text, max(dictionary.max_length, max(map(len, rules), default=1))
    )
    found = dictionary.frequencies(present)
    hiding_pattern = segmenter._hiding_pattern(rules)
    hiding = sorted(
        (w for w in found if w not in rules and hiding_pattern and hiding_pattern.search(w)),
        key=len,
    )
    tokenizer = _blank_tokenizer(blank)
    hidden = set(hiding)
    for word, freq in found.items():
        if word not in hidden:
            tokenizer.add_word(word, freq)
    tokenizer.add_word(PADDING, max(1, dictionary.total - tokenizer.total))
    known = {w for w in found if w not in hidden}
    for word in sorted(rules & present):
        freq = max(found.get(word, 0), tokenizer.suggest_freq(word, tune=False), 1)
        tokenizer.add_word(word, freq)
        known.add(word)
    dropped: set[str] = set()
    for word in hiding:
        if rules.isdisjoint(tokenizer.cut(word, HMM=False)):
            tokenizer.add_word(word, found[word])
            known.add(word)
        else:
            dropped.add(word)
    return tokenizer, known, dropped


def _reference_tokens(
    text: str, rules: frozenset[str], blank: tuple[str, str]
) -> list[segmenter.Token]:
    text = text.replace(PADDING, " ")
    if not text:
        return []
    tokenizer, known, dropped = _reference_tokenizer(text, rules, blank)
    result: list[segmenter.Token] = []
    for word in tokenizer.cut(text, HMM=True):
        if word in dropped:
            result.extend(segmenter.Token(ch, ch in known) for ch in word)
        else:
            result.append(segmenter.Token(word, word in known))
    return result


def _random_texts(count: int, seed: int) -> list[str]:
    """Han characters (common ones, rare ones jieba's HMM has no emission for, a few beyond
    its Han range), ASCII letters and digits, whitespace and punctuation, in runs."""
    rng = random.Random(seed)
    common = "".join(dict.fromkeys("".join(SENTENCES[:200]) + "的一是了我不人在他有这个上们来到"))
    common = "".join(ch for ch in common if "\u4e00" <= ch <= "\u9fd5")
    pools = [
        common,
        common,
        common,
        "".join(chr(c) for c in range(0x4E00, 0x9FD6, 97)),
        "\u9fd6\u9fe0\u3400\u3007",
        "abcxyzABCXYZ",
        "0123456789",
        " \t\r\n\u3000\xa0",
        "，。！？、；：…“”（）《》,.!?;:()",
        "%.-+#&_",
        "%.-",
    ]
    texts: list[str] = []
    for _ in range(count):
        pieces = []
        for _ in range(rng.randint(1, 12)):
            pool = rng.choice(pools)
            pieces.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 6))))
        texts.append("".join(pieces))
    return texts


RANDOM_TEXTS = _random_texts(400, seed=20240611)


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(word_index, "_DICTIONARY", None)


@pytest.mark.parametrize("name", sorted(LEXICONS))
def test_tokens_are_the_jieba_tokenizers(
    name: str, fresh: None, blank_dictionary: tuple[str, str]
) -> None:
    rules = frozenset(LEXICONS[name].mapping)
    for text in SENTENCES:
        assert segmenter.tokens(text, rules) == _reference_tokens(text, rules, blank_dictionary)
    assert finalseg.Force_Split_Words == set()


@pytest.mark.parametrize("rules", [frozenset(), frozenset({"行长", "重要", "长期", "abc"})])
def test_random_texts_are_cut_as_jieba_cuts_them(
    rules: frozenset[str], fresh: None, blank_dictionary: tuple[str, str]
) -> None:
    for text in RANDOM_TEXTS:
        assert segmenter.tokens(text, rules) == _reference_tokens(text, rules, blank_dictionary)


@pytest.mark.parametrize("name", sorted(LEXICONS))
def test_cut_without_hmm_and_suggested_frequencies_are_jiebas(
    name: str, fresh: None, blank_dictionary: tuple[str, str]
) -> None:
    rules = frozenset(LEXICONS[name].mapping)
    for text in SENTENCES + tuple(RANDOM_TEXTS[:100]):
        table, _, _ = segmenter._table_for_text(text, rules)
        tokenizer, _, _ = _reference_tokenizer(text, rules, blank_dictionary)
        assert table.total == tokenizer.total
        assert list(table.cut(text, hmm=False)) == list(tokenizer.cut(text, HMM=False))
        words = set(tokenizer.cut(text, HMM=True))
        words.update(text[i : i + 2] for i in range(len(text) - 1))
        for word in sorted(words):
            assert table.suggest_freq(word) == tokenizer.suggest_freq(word, tune=False), word


def test_few_words_leave_most_to_the_hmm(blank_dictionary: tuple[str, str]) -> None:
    """Nearly everything goes through the Viterbi when the table knows only a few words."""
    tokenizer = _blank_tokenizer(blank_dictionary)
    table = WordTable(word_index.main_dictionary())
    for word, freq in (("银行", 30), ("行长", 20), ("a", 5), (PADDING, 10**7)):
        tokenizer.add_word(word, freq)
        table.add_word(word, freq)
    for text in [*SENTENCES[:300], *RANDOM_TEXTS]:
        assert list(table.cut(text)) == list(tokenizer.cut(text, HMM=True))
        assert list(table.cut(text, hmm=False)) == list(tokenizer.cut(text, HMM=False))


def test_route_ties_are_broken_as_jiebas(blank_dictionary: tuple[str, str]) -> None:
    """Equal frequencies make routes of exactly equal probability (甲乙|丙 and 甲|乙丙 when
    all four are words of the same frequency): jieba takes the one whose first word is longest."""
    rng = random.Random(7)
    alphabet = "甲乙丙丁"
    for _ in range(300):
        tokenizer = _blank_tokenizer(blank_dictionary)
        table = WordTable(word_index.main_dictionary())
        for _ in range(rng.randint(1, 10)):
            word = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 3)))
            freq = rng.choice((1, 1, 2, 4))
            tokenizer.add_word(word, freq)
            table.add_word(word, freq)
        for _ in range(10):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
            assert list(table.cut(text, hmm=False)) == list(tokenizer.cut(text, HMM=False))
            assert list(table.cut(text)) == list(tokenizer.cut(text, HMM=True))
    tokenizer = _blank_tokenizer(blank_dictionary)
    table = WordTable(word_index.main_dictionary())
    for word in ("甲", "甲乙", "乙丙", "丙"):
        tokenizer.add_word(word, 1)
        table.add_word(word, 1)
    assert list(table.cut("甲乙丙", hmm=False)) == ["甲乙", "丙"]
    assert list(tokenizer.cut("甲乙丙", HMM=False)) == ["甲乙", "丙"]


@dataclass(frozen=True)
class _Model:
    start: dict[str, float]
    trans: dict[str, dict[str, float]]
    emit: dict[str, dict[str, float]]

    def emissions(self, chars: Collection[str]) -> dict[str, dict[str, float]]:
        return {ch: {s: t[ch] for s, t in self.emit.items() if ch in t} for ch in chars}


def test_viterbi_ties_are_broken_as_finalsegs() -> None:
    """Characters with equal or no emissions (all of finalseg's MIN_FLOAT) tie the states."""
    rng = random.Random(11)
    for _ in range(300):
        values = (-1.0, -2.0, -0.5)
        model = _Model(
            {s: rng.choice(values) for s in "BMES"},
            {s: {n: rng.choice(values) for n in "BMES" if rng.random() < 0.8} for s in "BMES"},
            {s: {ch: rng.choice(values) for ch in "甲乙" if rng.random() < 0.7} for s in "BMES"},
        )
        for _ in range(5):
            text = "".join(rng.choice("甲乙丙") for _ in range(rng.randint(1, 7)))
            expected = finalseg.viterbi(text, "BMES", model.start, model.trans, model.emit)[1]
            assert word_route._viterbi(text, model) == expected


def test_index_holds_jiebas_hmm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(word_index, "_DICTIONARY", None)
    monkeypatch.setattr(word_index, "cache_folders", lambda: [tmp_path / "audiopack"])
    dictionary = word_index.main_dictionary()
    assert isinstance(dictionary, word_index._SqliteDictionary)
    assert dictionary.start == finalseg.start_P
    assert dictionary.trans == finalseg.trans_P
    chars = {ch for table in finalseg.emit_P.values() for ch in table} | {"\U000f0000", "a"}
    emissions = dictionary.emissions(chars)
    by_state = {
        state: {ch: p[state] for ch, p in emissions.items() if state in p} for state in "BMES"
    }
    assert by_state == finalseg.emit_P
    memory = word_index._MemoryDictionary({"一": 1}, 1)
    assert memory.emissions(chars) == emissions
    assert (memory.start, memory.trans) == (dictionary.start, dictionary.trans)


def test_a_word_of_frequency_zero_is_refused() -> None:
    table = WordTable(word_index._MemoryDictionary({"一": 1}, 1))
    with pytest.raises(ValueError, match="frequency of '银行' must be at least 1, got 0"):
        table.add_word("银行", 0)


_CUT = textwrap.dedent(
    """
    import json, sys
    from audiopack.speech import segmenter
    words = segmenter.cut(sys.argv[1], frozenset({"行长"}))
    print(json.dumps({"words": words, "jieba": "jieba" in sys.modules,
                      "pkg_resources": "pkg_resources" in sys.modules}))
    """
)


def test_with_the_index_jieba_is_not_imported(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}

    def cut(text: str) -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-c", _CUT, text],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=True,
        )  # fmt: skip
        result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    assert cut("银行行长")["jieba"] is True  # builds the index
    assert list((tmp_path / "audiopack" / "jieba").glob("words-*.sqlite3"))
    text = "银行行长期待辛辛苦苦地写完abc 3.5%的报告"
    assert cut(text) == {
        "words": segmenter.cut(text, frozenset({"行长"})),
        "jieba": False,
        "pkg_resources": False,
    }
