"""The word index: jieba's dictionary looked up word by word instead of loaded whole, with
pypinyin's readings of its most frequent words; and the pack's memory of word readings."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from audiopack.speech import segmenter, word_index

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache folder of this test's own, and no dictionary opened yet in this process."""
    monkeypatch.setattr(word_index, "_DICTIONARY", None)
    monkeypatch.setattr(word_index, "cache_folders", lambda: [tmp_path / "audiopack"])
    yield tmp_path / "audiopack" / "jieba"


def _in_memory() -> word_index.Dictionary:
    return word_index._MemoryDictionary(*word_index._parse())


def test_index_holds_what_jieba_loads(private_cache: Path) -> None:
    import jieba

    tokenizer = jieba.Tokenizer()
    freq, total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
    dictionary = word_index.main_dictionary()
    assert isinstance(dictionary, word_index._SqliteDictionary)
    assert dictionary.total == total
    sample = ["银行", "行长", "中华人民共和国", "的", "长期", "不是一个词", "B超", "重要"]
    assert dictionary.frequencies(sample) == {w: freq[w] for w in sample if freq.get(w)}
    assert "不是一个词" not in dictionary.frequencies(sample)
    assert dictionary.max_length == max(len(w) for w, f in freq.items() if f)


def test_readings_in_the_index_are_pypinyins(private_cache: Path) -> None:
    dictionary = word_index.main_dictionary()
    words = ["银行", "行长", "重要", "长期", "发展", "干部", "觉得", "东西", "为了", "朝阳"]
    for word in words:
        assert dictionary.reading(word) == word_index.pypinyin_reading(word)
    assert dictionary.reading("银行") == ("yin2", "hang2")


def test_a_damaged_index_is_built_again(private_cache: Path) -> None:
    word_index.main_dictionary()
    (index,) = private_cache.glob("words-*.sqlite3")
    index.write_bytes(b"not a database at all")
    word_index._DICTIONARY = None
    assert segmenter.cut("银行行长期待", frozenset({"行长"})) == ["银行", "行长", "期待"]
    assert index.read_bytes().startswith(b"SQLite format 3")


def test_without_a_cache_folder_the_dictionary_is_loaded_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setattr(word_index, "_DICTIONARY", None)
    monkeypatch.setattr(word_index, "cache_folders", lambda: [blocked / "audiopack"])
    dictionary = word_index.main_dictionary()
    assert isinstance(dictionary, word_index._MemoryDictionary)
    assert segmenter.cut("银行行长期待", frozenset({"行长"})) == ["银行", "行长", "期待"]


def test_segmentation_is_the_same_from_memory_and_from_the_index(private_cache: Path) -> None:
    text = "坚持以人民为中心的发展思想，银行行长要重视长期发展，切实把从严治党落实到干事创业上。"
    words = frozenset({"行长", "重"})
    from_index = segmenter.tokens(text, words)
    word_index._DICTIONARY = _in_memory()
    assert segmenter.tokens(text, words) == from_index


MANUSCRIPT = """关于加强作风建设的讲话

同志们：

一、提高思想认识

我们要坚持以人民为中心的发展思想，把群众的事情办好。

二、抓好工作落实

各级干部要切实履职尽责，推动各项工作落地见效。
"""

_BUILD = textwrap.dedent(
    """
    import json, sys
    import audiopack
    result = audiopack.build(sys.argv[1], sys.argv[2], engine="espeak", formats="mp3")
    print(json.dumps({"synthesized": result.synthesized,
                      "pypinyin": "pypinyin" in sys.modules,
                      "jieba": "jieba" in sys.modules}))
    """
)


def _build(script: Path, pack: Path, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _BUILD, str(script), str(pack)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=True,
    )  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
def test_an_edit_made_of_known_words_loads_no_pypinyin(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    script = tmp_path / "讲话.txt"
    script.write_text(MANUSCRIPT, encoding="utf-8")
    pack = tmp_path / "pack"
    first = _build(script, pack, env)
    assert isinstance(first["synthesized"], int) and first["synthesized"] >= 4
    # A new sentence made of words the pack has read before: segmented through the index
    # (jieba's algorithm, jieba not imported), and every word's reading is remembered.
    script.write_text(MANUSCRIPT.replace("落地见效。", "落地见效，把群众的事情办好。"), "utf-8")
    edit = _build(script, pack, env)
    assert edit == {"synthesized": 1, "pypinyin": False, "jieba": False}
    # A word the pack has never met (and that is not among the index's frequent words) is
    # read by pypinyin.
    script.write_text(MANUSCRIPT.replace("落地见效。", "落地见效，勿忘饕餮之戒。"), "utf-8")
    assert _build(script, pack, env) == {"synthesized": 1, "pypinyin": True, "jieba": False}
