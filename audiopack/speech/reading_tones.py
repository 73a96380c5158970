"""Tone changes, as a careful Mandarin reader makes them: third tone, 一 and 不.

Applied to dictionary tones after every polyphone decision; syllables the lexicon gave in
pinyin are left alone. Decisions look at the *dictionary* tone of the next syllable (一起 is yì qǐ
although 起 may itself change before another third tone). A clause (a run of Han words
between punctuation or other characters) is the widest context.

* Third tone: in a run of third tones inside one jieba word, all but the last become second
  tone (展览 zhán lǎn, 管理者 guán lí zhě); across words only where a one-syllable word
  leans on its neighbour (很|好, 保管|好), the usual prosodic word. Longer chains across
  words are left as the dictionary has them: readers differ there.
* 不 before a fourth tone is bú (不是, 不断).
* 一 is yī at the end of a word (统一, 之一, 第一), after 第 or another numeral (十一, 一百一),
  before a numeral or 月 (一九四九年, 一月), at the end of a clause, and opening an enumeration
  (一是, 一要); neutral between a repeated verb (看一看); otherwise yí before a fourth tone
  (一个, 一样) and yì before the others (一般, 一年, 一起).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from audiopack.speech.reading import Word

_NUMERALS = frozenset("零〇一二三四五六七八九十百千万亿两")
_DIGIT_NUMERALS = frozenset("零〇一二三四五六七八九")
_ENUMERATION_NEXT = frozenset("是要则来")
#: Citation tone first, then the changed forms a dictionary may already give.
_CITATION = {"一": ("yi1", "yi2", "yi4"), "不": ("bu4", "bu2")}


@dataclass
class _Syllable:
    word: Word
    index: int  # within the word

    @property
    def char(self) -> str:
        return self.word.text[self.index]

    @property
    def value(self) -> str:
        return self.word.syllables[self.index]

    def set(self, syllable: str) -> None:
        self.word.syllables[self.index] = syllable


def tone(syllable: str) -> int:
    return int(syllable[-1]) if syllable[-1:].isdigit() else 5


def _retone(syllable: str, new: int) -> str:
    return f"{syllable[:-1]}{new}" if syllable[-1:].isdigit() else f"{syllable}{new}"


def apply_tone_changes(items: Sequence[Word | str]) -> None:
    """Change the syllables of the words in ``items`` in place."""
    clause: list[Word] = []
    for item in items:
        if isinstance(item, Word):
            clause.append(item)
        else:
            _clause(clause)
            clause = []
    _clause(clause)


def _clause(words: list[Word]) -> None:
    if not words:
        return
    syllables = [_Syllable(w, i) for w in words for i in range(len(w.syllables))]
    for syllable in syllables:  # the dictionary has some changes made already (一个 yí gè)
        forms = _CITATION.get(syllable.char, ())
        if not syllable.word.literal and syllable.value in forms:
            syllable.set(forms[0])
    tones = [tone(s.value) for s in syllables]  # the dictionary's, decided on below
    _third_tones(words)
    for position, syllable in enumerate(syllables):
        if syllable.word.literal:
            continue
        next_tone = tones[position + 1] if position + 1 < len(syllables) else None
        if syllable.char == "不" and syllable.value == "bu4" and next_tone == 4:
            syllable.set("bu2")
        elif syllable.char == "一" and syllable.value == "yi1":
            syllable.set(_yi(syllables, position, next_tone))


def _yi(syllables: list[_Syllable], position: int, next_tone: int | None) -> str:
    current = syllables[position]
    before = syllables[position - 1].char if position else ""
    after = syllables[position + 1].char if next_tone is not None else ""
    if next_tone is None or before == "第" or before in _NUMERALS:
        return "yi1"
    if current.index == len(current.word.syllables) - 1 and len(current.word.syllables) > 1:
        return "yi1"  # 统一, 之一, 唯一: the word ends on it
    if after in _DIGIT_NUMERALS or after == "月" or (before == "月" and after in "日号"):
        return "yi1"
    if _in_decimal(syllables, position) or after == "号":
        return "yi1"  # 一点五, 三十五点一, 一号文件: 一 is a digit here
    if position == 0 and after in _ENUMERATION_NEXT:
        return "yi1"
    if before and before == after:
        return "yi5"
    return "yi2" if next_tone in (4, 5) else "yi4"


def _in_decimal(syllables: list[_Syllable], position: int) -> bool:
    """一 as a digit of a decimal number: before 点 and a numeral, or after a numeral and 点."""
    word = syllables[position].word.text
    if len(word) > 2 and not set(word) <= _NUMERALS | {"点"}:
        return False  # a word of its own, e.g. the idiom 一点一滴 (yì diǎn yì dī)
    chars = [s.char for s in syllables]
    after = chars[position + 1 : position + 3]
    before = chars[max(0, position - 2) : position]
    return (after[:1] == ["点"] and len(after) == 2 and after[1] in _DIGIT_NUMERALS) or (
        len(before) == 2 and before[1] == "点" and before[0] in _NUMERALS
    )


def _third_tones(words: list[Word]) -> None:
    """Third-tone sandhi inside words, and between a one-syllable word and its neighbour."""
    original = [[tone(s) for s in w.syllables] for w in words]
    for word, tones in zip(words, original, strict=True):
        if word.literal:
            continue
        for i in range(len(tones) - 1):
            if tones[i] == 3 and tones[i + 1] == 3:
                word.syllables[i] = _retone(word.syllables[i], 2)
    for left, left_tones, right_tones in zip(words, original, original[1:], strict=False):
        if left.literal or not left_tones or not right_tones:
            continue
        if left_tones[-1] != 3 or right_tones[0] != 3:
            continue
        if len(left_tones) == 1 or len(right_tones) == 1:
            left.syllables[-1] = _retone(left.syllables[-1], 2)
