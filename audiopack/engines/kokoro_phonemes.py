"""Reading strings (toned pinyin) -> the phonemes Kokoro-82M v1.0's Mandarin voices were trained on.

Kokoro's Mandarin voices expect misaki's ``zh`` phoneme alphabet (misaki's legacy G2P, which
is adapted from the ``pinyin-to-ipa`` tables; Apache-2.0 and MIT): one IPA-like string per
syllable, the initial, then the final with its tone written as an arrow after the vowel
nucleus (before a nasal coda): → tone 1, ↗ tone 2, ↓ tone 3, ↘ tone 4, nothing for the neutral
tone. misaki takes its tones from pypinyin's dictionary without tone changes; here they come
from the reading layer, which has already applied them (third tone, 一, 不).

A syllable is written ``zhong1``/``lv4``/``er2`` (numeric tone 1-5, ``v`` for ü; no tone
digit means neutral). Chinese punctuation becomes the ASCII marks the model pauses on.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Bumped whenever the mapping changes what is spoken: it is part of the engine's fingerprint.
MAPPING_VERSION = 2

_TONES = {1: "→", 2: "↗", 3: "↓", 4: "↘", 5: ""}

_INITIALS = {
    "b": "p", "p": "pʰ", "m": "m", "f": "f", "d": "t", "t": "tʰ", "n": "n", "l": "l",
    "g": "k", "k": "kʰ", "h": "x", "j": "ʨ", "q": "ʨʰ", "x": "ɕ",
    "zh": "ꭧ", "ch": "ꭧʰ", "sh": "ʂ", "r": "ɻ", "z": "ʦ", "c": "ʦʰ", "s": "s",
}  # fmt: skip

#: Each final as (glide, nucleus, coda): the tone arrow goes between nucleus and coda.
_FINALS: dict[str, tuple[str, str, str]] = {
    "a": ("", "a", ""), "ai": ("", "ai", ""), "an": ("", "a", "n"), "ang": ("", "a", "ŋ"),
    "ao": ("", "au", ""), "e": ("", "ɤ", ""), "ei": ("", "ei", ""), "en": ("", "ə", "n"),
    "eng": ("", "ə", "ŋ"), "i": ("", "i", ""), "ia": ("j", "a", ""), "ian": ("j", "ɛ", "n"),
    "iang": ("j", "a", "ŋ"), "iao": ("j", "au", ""), "ie": ("j", "e", ""), "in": ("", "i", "n"),
    "iou": ("j", "ou", ""), "ing": ("", "i", "ŋ"), "iong": ("j", "ʊ", "ŋ"),
    "ong": ("", "ʊ", "ŋ"), "ou": ("", "ou", ""), "u": ("", "u", ""), "uei": ("w", "ei", ""),
    "ua": ("w", "a", ""), "uai": ("w", "ai", ""), "uan": ("w", "a", "n"),
    "uen": ("w", "ə", "n"), "uang": ("w", "a", "ŋ"), "ueng": ("w", "ə", "ŋ"),
    "uo": ("w", "o", ""), "o": ("w", "o", ""), "v": ("", "y", ""), "ve": ("ɥ", "e", ""),
    "van": ("ɥ", "ɛ", "n"), "vn": ("", "y", "n"),
    # Syllables without an initial that are not spelt with y/w.
    "er": ("", "ɚ", ""), "ê": ("", "ɛ", ""), "io": ("j", "ɔ", ""),
}  # fmt: skip

#: Whole syllables spelt with y/w, as the final they stand for.
_Y_W = {
    "yi": "i", "ya": "ia", "ye": "ie", "yao": "iao", "you": "iou", "yan": "ian", "yin": "in",
    "yang": "iang", "ying": "ing", "yong": "iong", "yu": "v", "yue": "ve", "yuan": "van",
    "yun": "vn", "yo": "io", "wu": "u", "wa": "ua", "wo": "uo", "wai": "uai", "wei": "uei",
    "wan": "uan", "wen": "uen", "wang": "uang", "weng": "ueng", "wong": "ong",
}  # fmt: skip

#: Syllabic nasals (嗯 n, 呣 m, 哼 hng...), whose consonant carries the tone; the interjection
#: 哦 o; an erhua r written as a syllable of its own.
_WHOLE = {"m": "m", "n": "n", "ng": "ŋ", "hm": "hm", "hng": "hŋ", "o": "ɔ", "r": "ɚ"}

#: Spelling abbreviations: iu = iou, ui = uei, un = uen (ün after j/q/x), u = ü after j/q/x/y.
_ABBREVIATED = {"iu": "iou", "ui": "uei", "un": "uen"}
_AFTER_JQX = {"u": "v", "ue": "ve", "uan": "van", "un": "vn"}

#: Chinese punctuation -> the marks misaki writes (Kokoro pauses on them); None: not spoken.
PUNCTUATION: dict[str, str] = {
    "，": ",", "、": ",", "。": ".", "．": ".", "！": "!", "？": "?", "：": ":", "；": ";",
    "…": "…", "—": "—", "（": "(", "）": ")", "“": "“", "”": "”", "《": "“", "》": "”",
    "「": "“", "」": "”", "【": "“", "】": "”", ",": ",", ".": ".", "!": "!", "?": "?",
    ":": ":", ";": ";", "(": "(", ")": ")", '"': '"',
}  # fmt: skip

_OPENING = frozenset("“(")
_MARKS = frozenset(PUNCTUATION.values()) - _OPENING
_SYLLABLE_RE = re.compile(r"([a-zêü]+)([1-5]?)")


class UnknownSyllableError(ValueError):
    """A token that looks like pinyin but is no Mandarin syllable."""


@lru_cache(maxsize=4096)
def syllable_phonemes(syllable: str) -> str:
    """``zhong1`` -> ``ꭧʊ→ŋ``; raises UnknownSyllableError for what is no pinyin syllable."""
    match = _SYLLABLE_RE.fullmatch(syllable.lower().replace("ü", "v").replace("u:", "v"))
    if match is None:
        raise UnknownSyllableError(syllable)
    letters, digit = match.groups()
    tone = _TONES[int(digit) if digit else 5]
    if letters in _WHOLE:
        return _WHOLE[letters] + tone
    initial, final = "", _Y_W.get(letters, letters)
    if letters not in _Y_W and letters not in _FINALS:
        initial = letters[:2] if letters[:2] in _INITIALS else letters[:1]
        if initial not in _INITIALS:
            raise UnknownSyllableError(syllable)
        final = letters[len(initial) :]
        if initial in ("j", "q", "x"):
            final = _AFTER_JQX.get(final, final)
            if not final.startswith(("i", "v")):
                raise UnknownSyllableError(syllable)
        elif initial in ("n", "l") and final in ("ue", "ve"):
            final = "ve"
        elif (final.startswith("v") and initial not in ("n", "l")) or (
            final == "o" and initial not in ("b", "p", "m", "f", "l")
        ):
            raise UnknownSyllableError(syllable)
        final = _ABBREVIATED.get(final, final)
    if final == "i" and initial in ("zh", "ch", "sh", "r", "z", "c", "s"):
        # The apical vowels of zhi/chi/shi/ri and zi/ci/si: misaki writes both as ɨ.
        return _INITIALS[initial] + "ɨ" + tone
    parts = _FINALS.get(final)
    if parts is None or (initial and final in ("er", "ê", "io")):
        raise UnknownSyllableError(syllable)
    glide, nucleus, coda = parts
    return _INITIALS.get(initial, "") + glide + nucleus + tone + coda


#: Latin letters as a Mandarin reader says them (GDP, 5G, PM2.5), in syllables.
LETTERS = {
    "a": "ei1", "b": "bi4", "c": "xi1", "d": "di4", "e": "yi4", "f": "ai2 fu5", "g": "ji4",
    "h": "ai2 qi1", "i": "ai4", "j": "jie4", "k": "kai4", "l": "ai2 le5", "m": "ai2 mu5",
    "n": "en1", "o": "ou1", "p": "pi4", "q": "kou4", "r": "a4 er5", "s": "ai2 si5", "t": "ti4",
    "u": "you1", "v": "wei1", "w": "da2 bu5 liu5", "x": "ai2 ke4 si5", "y": "wai4", "z": "zei4",
}  # fmt: skip
DIGITS = ("ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3")
_TONED = re.compile(r"[a-zêü:]+[1-5]")


def to_phonemes(reading: str) -> str:
    """A reading string (syllables, punctuation and other runs, separated by spaces) -> phonemes.

    Syllables run together as misaki writes a word; a space stays after a pause mark. Latin
    letters left in the text are spelt (GDP: ji4 di4 pi4), digits read one by one; other
    symbols are not spoken.
    """
    out: list[str] = []
    for token in reading.split():
        if _TONED.fullmatch(token):
            try:
                out.append(syllable_phonemes(token))
                continue
            except UnknownSyllableError:
                pass
        for ch in token:
            if ch in PUNCTUATION:
                out.append(PUNCTUATION[ch])
            elif ch.isascii() and ch.isalpha():
                out.extend(syllable_phonemes(s) for s in LETTERS[ch.lower()].split())
            elif ch.isascii() and ch.isdigit():
                out.append(syllable_phonemes(DIGITS[int(ch)]))
    return _join(out)


def _join(parts: list[str]) -> str:
    """Syllables of a run together; a space after a pause mark or a closing quote and before
    an opening one (as misaki writes them)."""
    text = ""
    for part in parts:
        if part in _OPENING:
            text += " " + part
        elif part in _MARKS:
            text = text.rstrip() + part + " "
        else:
            text += part
    return re.sub(" +", " ", text).strip()
