"""eSpeak NG says the reading layer's decisions: checked on its own phonemes of what it is sent.

Every request is synthesised as the engine does it, with eSpeak NG's phoneme trace on; the trace
is decoded back to toned pinyin (tests/espeak_phonemes.py) and compared with what a careful
reader says for the spans of the reading test set. The README reports the agreement.
"""

from __future__ import annotations

import re
from functools import cache

from espeak_phonemes import decode, spoken
from test_reading_set import Span, on_span, score

from audiopack.engines.espeak import _Library
from audiopack.engines.espeak_input import spell, to_espeak
from audiopack.speech.reading import PUNCTUATION, is_han
from audiopack.speech.sentences import SpeechOptions, speech_sentences

MINIMUM_AGREEMENT = 0.95
_SYLLABLE = re.compile(r"[a-zü]+[1-5]|\[\[.*\]\]")


def _request(reading: str) -> str:
    """What the engine sends eSpeak NG for a reading string."""
    library = _Library.get()
    with _Library._lock:
        return to_espeak(reading, library.phonemes_of)


def said(request: str) -> list[str | None]:
    """The syllable eSpeak NG says for each syllable token of ``request``, in order.

    Runs of syllables between other tokens (Latin words, digits: eSpeak spells them in as many
    syllables as it likes) are spoken one run at a time, so each syllable keeps its place.
    """
    runs: list[list[str]] = [[]]
    for token in request.split():
        if _SYLLABLE.fullmatch(token) or token in PUNCTUATION:
            runs[-1].append(token)
        elif runs[-1]:
            runs.append([])
    result: list[str | None] = []
    for run in runs:
        count = sum(1 for token in run if _SYLLABLE.fullmatch(token))
        heard = decode(spoken(" ".join(run))) if count else []
        result += heard if len(heard) == count else [None] * count
    return result


def said_on_span(span: Span, options: SpeechOptions) -> str:
    han, syllables = _said_in_sentence(span.text, options)
    return on_span(span, list(han), list(syllables))


@cache
def _said_in_sentence(text: str, options: SpeechOptions) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The Han characters of ``text``'s speech and what eSpeak NG says for each (a sentence
    holds several spans: it is synthesised once)."""
    han: list[str] = []
    syllables: list[str] = []
    for sentence in speech_sentences(text, options):
        han += [ch for ch in sentence.spoken if is_han(ch)]
        syllables += [s or "?" for s in said(_request(sentence.reading))]
    return tuple(han), tuple(syllables)


def test_espeak_says_every_syllable_as_spelled() -> None:
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.contrib.tone_convert import to_normal

    bases = sorted(
        {
            to_normal(reading, v_to_u=False)
            for readings in PINYIN_DICT.values()
            for reading in readings.split(",")
        }
    )
    syllables = [f"{b}{t}" for b in bases if re.fullmatch(r"[a-z]+", b) for t in "12345"]
    request = " ， ".join(spell(s) for s in syllables)
    heard = decode(spoken(request))
    assert len(heard) == len(syllables)
    wrong = [(s, h) for s, h in zip(syllables, heard, strict=True) if s != h]
    # Interjections eSpeak NG has no syllable for are given the nearest one; it says 嗯 n
    # without a tone.
    assert {s.rstrip("12345") for s, _ in wrong} <= {"m", "hm", "hng", "wong", "ê", "n"}, wrong
    assert "xiong2" not in {s for s, _ in wrong}


def test_espeak_agreement_on_the_sentence_set() -> None:
    agreement, wrong = score(said_on_span, "eSpeak NG agreement")
    assert agreement >= MINIMUM_AGREEMENT, "\n".join(wrong)
