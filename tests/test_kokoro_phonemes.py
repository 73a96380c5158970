"""The pinyin -> Kokoro phoneme mapping: every syllable pypinyin knows, misaki's alphabet."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from pypinyin.contrib.tone_convert import to_tone3
from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict

from audiopack.engines.kokoro_phonemes import (
    UnknownSyllableError,
    syllable_phonemes,
    to_phonemes,
)


def _pypinyin_syllables() -> set[str]:
    """Every toned syllable in pypinyin's character and phrase dictionaries, as the reading
    layer writes them (numeric tone, 5 for neutral, v for ü)."""
    marked: set[str] = set()
    for readings in pinyin_dict.values():
        marked.update(readings.split(","))
    for phrase in phrases_dict.values():
        for readings in phrase:
            marked.update(readings)
    return {to_tone3(p, neutral_tone_with_five=True, v_to_u=False) for p in marked}


def _vocab() -> set[str]:
    text = (resources.files("audiopack") / "data" / "kokoro" / "vocab.json").read_text("utf-8")
    return set(json.loads(text)["vocab"])


def test_every_pypinyin_syllable_maps_into_the_models_vocabulary() -> None:
    syllables = _pypinyin_syllables()
    assert len(syllables) > 1400  # the whole inventory, all tones
    vocab = _vocab()
    for syllable in sorted(syllables):
        phonemes = syllable_phonemes(syllable)
        assert phonemes, syllable
        assert set(phonemes) <= vocab, (syllable, phonemes)
        tone = syllable[-1]
        arrow = {"1": "→", "2": "↗", "3": "↓", "4": "↘", "5": ""}[tone]
        assert sum(ch in "→↗↓↘" for ch in phonemes) == (1 if arrow else 0), syllable
        if arrow:
            assert arrow in phonemes, syllable


@pytest.mark.parametrize(
    ("syllable", "phonemes"),
    [
        # misaki's table (legacy zh G2P, as Kokoro v1.0 was trained on it)
        ("zhong1", "ꭧʊ→ŋ"),
        ("guo2", "kwo↗"),
        ("ren2", "ɻə↗n"),
        ("min2", "mi↗n"),
        ("xian4", "ɕjɛ↘n"),
        ("shi4", "ʂɨ↘"),
        ("si1", "sɨ→"),
        ("jiu3", "ʨjou↓"),
        ("dui4", "twei↘"),
        ("lun4", "lwə↘n"),
        ("lv4", "ly↘"),
        ("nve4", "nɥe↘"),
        ("lue4", "lɥe↘"),
        ("ju2", "ʨy↗"),
        ("quan2", "ʨʰɥɛ↗n"),
        ("xun4", "ɕy↘n"),
        ("yu2", "y↗"),
        ("yuan2", "ɥɛ↗n"),
        ("yi1", "i→"),
        ("wei2", "wei↗"),
        ("wu3", "u↓"),
        ("er4", "ɚ↘"),
        ("de5", "tɤ"),
        ("bo2", "pwo↗"),
        ("n2", "n↗"),
        ("hng5", "hŋ"),
    ],
)
def test_known_syllables(syllable: str, phonemes: str) -> None:
    assert syllable_phonemes(syllable) == phonemes


@pytest.mark.parametrize("token", ["zhx1", "bv1", "jo2", "qa1", "abc", "x", "shr4"])
def test_what_is_no_syllable_is_refused(token: str) -> None:
    with pytest.raises(UnknownSyllableError):
        syllable_phonemes(token)


def test_a_reading_string_becomes_one_phoneme_string() -> None:
    reading = "yi3 ren2 min2 wei2 zhong1 xin1 ， jian1 chi2 ！ “ xue2 xi2 ” 。"
    assert to_phonemes(reading) == "i↓ɻə↗nmi↗nwei↗ꭧʊ→ŋɕi→n, ʨjɛ→nꭧʰɨ↗! “ɕɥe↗ɕi↗”."
    # Latin letters are spelt, digits read one by one, other symbols not spoken.
    assert to_phonemes("GDP zeng1 zhang3 ， 5G ＃") == "ʨi↘ti↘pʰi↘ʦə→ŋꭧa↓ŋ, u↓ʨi↘"
    assert to_phonemes("") == ""
