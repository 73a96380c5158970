"""The reading layer: one toned-pinyin decision per Han syllable of the speech text.

Offline engines that take pinyin (``input_form == "pinyin"``) are given :meth:`Reading.as_text`
instead of Han characters, so every polyphone, tone change and lexicon rule is decided here,
once, and cached with the sentence (the speech memo's key carries :func:`reading_version`).

Decisions, in order of precedence:

1. the lexicon (built-in rules plus ``--lexicon``), on jieba word boundaries: a reading in Han
   characters is read like those characters, a reading in toned pinyin is taken as it stands;
2. rules for constructions that dictionaries miss (:mod:`audiopack.speech.reading_rules`: 以…为…,
   地 and 得 after a verb, 长, 重, 处 by context, ...);
3. pypinyin's phrase dictionary, word by word on jieba's segmentation;

then tone changes (:mod:`audiopack.speech.reading_tones`: third tone, 一, 不). Syllables are numeric
tone 1-5 (5 = neutral), ``v`` for ü: ``lv4``, ``wei2``.

jieba and pypinyin are imported on the first call only.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from audiopack.speech import segmenter
from audiopack.speech.lexicon import Lexicon, is_pinyin_reading
from audiopack.speech.word_index import main_dictionary

__all__ = ["Reading", "Token", "WordReadings", "as_text", "read", "reading_version"]

#: The modules whose code decides readings: their source is the reading layer's version.
_DECIDING_MODULES = (
    "reading.py", "reading_rules.py", "reading_tones.py", "segmenter.py", "word_index.py",
    "word_route.py",
)  # fmt: skip

#: Marks shown in the reading string as themselves (pauses for the engine).
PUNCTUATION = frozenset("，。！？、；：…")


@dataclass(frozen=True)
class Token:
    """One Han character with its syllable, or a run of anything else (``pinyin=None``)."""

    text: str
    pinyin: str | None


@dataclass(frozen=True)
class Reading:
    tokens: tuple[Token, ...]

    def as_text(self) -> str:
        """Tokens joined by single spaces, Han characters as their syllables."""
        return " ".join(t.pinyin if t.pinyin is not None else t.text for t in self.tokens)


@lru_cache(maxsize=1)
def reading_version() -> str:
    """A hash of the code that decides readings, for the speech memo's key: any change to a
    rule re-decides every sentence (a hand-kept number would be forgotten). The lexicon has
    its own fingerprint. Which jieba and pypinyin are installed counts too: their dictionaries
    decide."""
    from importlib import resources

    from audiopack.speech.word_index import package_identity

    digest = hashlib.sha256()
    for name in _DECIDING_MODULES:
        digest.update(resources.files("audiopack.speech").joinpath(name).read_bytes())
    for package in ("jieba", "pypinyin"):
        digest.update(package_identity(package).encode())
    return digest.hexdigest()[:16]


def as_text(speech_text: str, lexicon: Lexicon, words: WordReadings | None = None) -> str:
    """The reading string of ``speech_text``."""
    return read(speech_text, lexicon, words).as_text()


def is_han(ch: str) -> bool:
    """A Han character (CJK unified ideographs, extensions, compatibility) or 〇. A code-point
    test, not a regular expression: a class with these ranges takes ~3 ms to compile."""
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or code == 0x3007
        or 0x20000 <= code <= 0x3134F
    )


@dataclass
class Word:
    """A jieba word of Han characters and the syllables decided for it so far."""

    text: str
    syllables: list[str]
    #: Decided by the lexicon: the polyphone rules leave it alone.
    fixed: bool = False
    #: Given in pinyin by the lexicon: taken as written, tone changes too leave it alone.
    literal: bool = False
    #: A word of jieba's dictionary, not one its HMM joined from single characters.
    known: bool = True


#: A non-Han run: punctuation marks one by one, anything else by whitespace-separated pieces.
_OTHER = re.compile(r"[，。！？、；：]|…+|[^\s，。！？、；：…]+")


#: pypinyin's reading of Han words (``"银行" -> "yin2 hang2"``), kept by the caller between
#: runs: a process whose words are all in it never loads pypinyin's phrase tables.
WordReadings = dict[str, str]


def read(speech_text: str, lexicon: Lexicon, words: WordReadings | None = None) -> Reading:
    """Decide the toned pinyin of every Han character of ``speech_text``; ``words`` is looked
    up before pypinyin and receives what pypinyin read."""
    memo: WordReadings = {} if words is None else words
    from audiopack.speech.reading_rules import apply_rules
    from audiopack.speech.reading_tones import apply_tone_changes

    items: list[Word | str] = []
    rules = lexicon.mapping
    for token in segmenter.tokens(speech_text, lexicon.words):
        _add_piece(token, rules, memo, items)
    apply_rules(items)
    apply_tone_changes(items)
    tokens: list[Token] = []
    for item in items:
        if isinstance(item, Word):
            tokens.extend(Token(ch, s) for ch, s in zip(item.text, item.syllables, strict=True))
        else:
            tokens.extend(Token(m.group(), None) for m in _OTHER.finditer(item))
    return Reading(tuple(tokens))


def _add_piece(
    token: segmenter.Token, rules: dict[str, str], memo: WordReadings, items: list[Word | str]
) -> None:
    """Append the words and other runs of one jieba token (``rules``: the lexicon's)."""
    piece = token.text
    rule = rules.get(piece)
    if rule is not None:
        if is_pinyin_reading(rule):
            items.append(Word(piece, rule.split(), fixed=True, literal=True))
            return
        if all(map(is_han, rule)):
            syllables = _pinyin(rule, memo)
            # "Read it like these characters": the word keeps its own characters when the
            # reading has as many, else the reading's characters stand in for it.
            items.append(Word(piece if len(rule) == len(piece) else rule, syllables, fixed=True))
            return
        piece = rule  # a reading with other characters: read what it says
    start = 0
    for i in range(1, len(piece) + 1):
        if i == len(piece) or is_han(piece[i]) != is_han(piece[start]):
            run = piece[start:i]
            if is_han(run[0]):
                known = len(run) == 1 or run != piece or token.known
                items.append(Word(run, _pinyin(run, memo), known=known))
            elif items and isinstance(items[-1], str):
                items[-1] += run
            else:
                items.append(run)
            start = i


def _pinyin(han: str, memo: WordReadings) -> list[str]:
    found = memo.get(han)
    if found is None or len(syllables := found.split()) != len(han):
        syllables = list(main_dictionary().reading(han))
        memo[han] = " ".join(syllables)
    return syllables
