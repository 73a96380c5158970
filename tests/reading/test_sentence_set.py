"""The reading test set is well formed: every span it checks is really in its sentence.

The readings themselves are checked by the reading and numbers tests; this file only guards the
data those tests rely on (see SOURCES.md for where each sentence comes from).
"""

import json
import re
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SYLLABLE = re.compile(r"[a-z]+[1-5]")


def _entries() -> list[dict[str, object]]:
    lines = (HERE / "sentences.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


ENTRIES = _entries()


def test_set_is_large_and_sentences_are_unique() -> None:
    texts = [e["text"] for e in ENTRIES]
    assert len(texts) >= 300
    assert len(set(texts)) == len(texts)


def test_every_source_is_listed() -> None:
    listed = (HERE / "SOURCES.md").read_text(encoding="utf-8")
    missing = {str(e["source"]) for e in ENTRIES if f"`{e['source']}`" not in listed}
    assert not missing


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: str(e["text"])[:12])
def test_spans_are_in_the_sentence(entry: dict[str, object]) -> None:
    text = str(entry["text"])
    assert set(entry) == {"text", "source", "pinyin", "speech"}
    for span in entry["pinyin"]:  # type: ignore[attr-defined]
        chars, syllables = span["chars"], span["pinyin"].split()
        assert text.count(chars) > span.get("nth", 0), chars
        assert len(syllables) == len(chars), chars
        assert all(SYLLABLE.fullmatch(s) for s in syllables), span
        assert all("\u3400" <= c <= "\u9fff" for c in chars), chars
    for span in entry["speech"]:  # type: ignore[attr-defined]
        assert span["text"] in text and span["speech"], span
