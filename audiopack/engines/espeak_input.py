"""What eSpeak NG is given: the reading layer's decisions, spelled so its ``cmn`` voice says them.

eSpeak NG's Mandarin voice reads toned pinyin as it stands (``zhong1 guo2`` gives exactly the
phonemes of 中国), applies no tone change of its own to it, and so says every syllable the
reading layer decided: polyphones, neutral tones, third-tone, 一 and 不 changes. Two gaps:

* it has no rule for the final ``iong`` (xiong, qiong, jiong: 雄, 穷, 炯 are read as English
  letters, even from characters): those syllables go in as phonemes, ``[[S;j'ong35]]``, with
  phoneme input switched on for the request;
* a few interjections (m, hm, hng, ê) and the spelling ``wong`` are not known: the nearest
  syllable it knows is given.

And one habit: while speaking it turns a third tone before another third tone into a second
tone, across any word boundary (增长|百分之 becomes zēng zháng). Where the reading layer kept
the third tone, that syllable goes in as phonemes with eSpeak's half-third tone (``21``, what it
says itself before other tones), which its rule leaves alone.

Anything that is not a syllable (punctuation, Latin words) goes through as it stands, minus the
``[[`` and ``]]`` that would switch phoneme input on or off.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: Bump when the spelling changes: it is part of the engine's fingerprint (the audio changes).
SPELLING_VERSION = 2

_SYLLABLE = re.compile(r"([a-zü]+)([1-5])")
#: eSpeak NG cmn's tone marks in phoneme input, by tone number.
_TONES = {"1": "55", "2": "35", "3": "214", "4": "51", "5": "11"}
#: Initials of the iong syllables as eSpeak NG's phonemes (its own for xi, qi, ji).
_IONG_INITIALS = {"x": "S;", "q": "tS;h", "j": "tS;"}
#: Syllables it does not know, by the nearest one it does.
_NEAREST = {"m": "en", "hm": "heng", "hng": "heng", "ê": "ei", "wong": "weng"}


def spell(syllable: str, phonemes_of: Callable[[str], str] | None = None) -> str:
    """One toned syllable (``xiong2``) as eSpeak NG's cmn voice should be given it; with
    ``phonemes_of`` (eSpeak's phonemes of a syllable), a third tone as a half-third tone."""
    match = _SYLLABLE.fullmatch(syllable)
    if match is None:
        return syllable.replace("[[", "").replace("]]", "")
    letters, tone = match.groups()
    letters = _NEAREST.get(letters, letters)
    if letters in ("xiong", "qiong", "jiong"):
        pitch = "21" if phonemes_of and tone == "3" else _TONES[tone]
        return f"[[{_IONG_INITIALS[letters[0]]}j'ong{pitch}]]"
    if phonemes_of and tone == "3":
        return f"[[{phonemes_of(letters + tone).replace('214', '21')}]]"
    return letters + tone


def to_espeak(reading: str, phonemes_of: Callable[[str], str] | None = None) -> str:
    """A reading string (see :mod:`audiopack.speech.reading`) as eSpeak NG's input.

    ``phonemes_of`` gives eSpeak's phonemes of one syllable; without it, eSpeak's own change
    of a third tone before a third tone is not prevented.
    """
    tokens = [token for token in reading.split(" ") if token]
    spelled = []
    for token, following in zip(tokens, [*tokens[1:], ""], strict=True):
        keep_third = token.endswith("3") and following.endswith("3")
        spelled.append(spell(token, phonemes_of if keep_third else None))
    return " ".join(spelled)


def needs_phoneme_input(text: str) -> bool:
    return "[[" in text
