"""The reading test set (tests/reading/sentences.jsonl): every pinyin span as the offline engines
are told to say it. The accuracy is reported in the README; this test keeps it from falling."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from audiopack.speech.lexicon import builtin_lexicon
from audiopack.speech.reading import is_han
from audiopack.speech.sentences import SpeechOptions, speech_sentences

SET = Path(__file__).parent / "reading" / "sentences.jsonl"
#: Share of spans that must be read right (the README gives the current figure).
MINIMUM_ACCURACY = 0.95


@dataclass(frozen=True)
class Span:
    text: str
    chars: str
    nth: int
    expected: str


def spans() -> list[Span]:
    result = []
    for line in SET.read_text("utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            for span in entry["pinyin"]:
                result.append(
                    Span(entry["text"], span["chars"], span.get("nth", 0), span["pinyin"])
                )
    return result


def decided(span: Span, options: SpeechOptions) -> str:
    """The syllables the reading layer gives the span's characters, located in the speech text
    (numbers read out there may add Han characters, never remove the span's)."""
    syllables: list[str] = []
    han: list[str] = []
    for sentence in speech_sentences(span.text, options):
        for ch, syllable in zip(
            (c for c in sentence.spoken if is_han(c)), _syllables(sentence.reading), strict=True
        ):
            han.append(ch)
            syllables.append(syllable)
    return on_span(span, han, syllables)


def on_span(span: Span, han: list[str], syllables: list[str]) -> str:
    """The syllables at the span's place among the sentence's Han characters ``han``."""
    text = "".join(han)
    start = -1
    for _ in range(span.nth + 1):
        start = text.index(span.chars, start + 1)
    return " ".join(syllables[start : start + len(span.chars)])


def _syllables(reading: str) -> list[str]:
    return [s for s in reading.split() if s[-1:].isdigit() and s[:-1].isalpha()]


def score(decide: Callable[[Span, SpeechOptions], str], what: str) -> tuple[float, list[str]]:
    """The share of the set's spans that ``decide`` gets right, and the wrong ones."""
    options = SpeechOptions(lexicon=builtin_lexicon(), input_form="pinyin")
    all_spans = spans()
    wrong = []
    for span in all_spans:
        got = decide(span, options)
        if got != span.expected:
            wrong.append(f"{span.chars}: {got} (expected {span.expected}) in {span.text}")
    share = 1 - len(wrong) / len(all_spans)
    print(f"{what} {share:.1%} of {len(all_spans)} spans", *wrong, sep="\n")
    return share, wrong


def test_reading_accuracy_on_the_sentence_set() -> None:
    accuracy, wrong = score(decided, "reading accuracy")
    assert len(spans()) >= 300
    assert accuracy >= MINIMUM_ACCURACY, "\n".join(wrong)


if __name__ == "__main__":  # pragma: no cover - a report for the README
    pytest.main([__file__, "-q", "-s"])
