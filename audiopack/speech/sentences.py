"""From displayed text to spoken text: sentence splitting, request chunking, normalisation.

The displayed text never changes: :func:`split_sentences` and :func:`speech_sentences` return
exact slices of their input. Only the *spoken* text (what a TTS engine is given) is rewritten
by :func:`to_speech`: redaction placeholders, unspeakable symbols, punctuation runs, ASCII
punctuation between Chinese characters, numbers, codes and symbols
(:mod:`audiopack.speech.numerals`) and the pronunciation lexicon.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Literal

from audiopack.speech.codes import drop_markers, read_codes
from audiopack.speech.lexicon import Lexicon, builtin_lexicon, segment
from audiopack.speech.lexicon import load_lexicon as _load_lexicon
from audiopack.speech.numerals import CN_NUMERAL as _CN_NUMERAL
from audiopack.speech.numerals import read_numbers
from audiopack.speech.reading import WordReadings
from audiopack.speech.reading import is_han as _is_han

__all__ = [
    "Lexicon",
    "SpeechOptions",
    "SpeechSentence",
    "chunk",
    "load_lexicon",
    "speech_sentences",
    "split_sentences",
    "to_speech",
]

log = logging.getLogger(__name__)


def load_lexicon(path: Path | None) -> Lexicon:
    """Built-in rules plus the rules of ``path`` (its rules win); ConfigError if malformed."""
    return _load_lexicon(path)


@dataclass(frozen=True)
class SpeechOptions:
    #: Convert digits to Chinese readings (needed by eSpeak; the neural voices read them).
    numbers: bool = True
    #: What redaction placeholders (``*``, ``××``, ``XXX``, ``○○``) are read as; "" drops them.
    placeholder: str = "某"
    #: Pronunciation rules, applied last.
    lexicon: Lexicon = field(default_factory=builtin_lexicon)
    #: What the engine takes: speech text, or the reading layer's toned pinyin (the lexicon is
    #: then applied as reading decisions, not to the speech text).
    input_form: Literal["text", "pinyin"] = "text"


@dataclass(frozen=True)
class SpeechSentence:
    #: Exactly a slice of the original text (all slices concatenated give back the text).
    display: str
    #: The speech text; "" when nothing is speakable (only emoji or punctuation).
    spoken: str
    #: Its reading string (toned pinyin, see audiopack.speech.reading) for pinyin-form
    #: engines, else "".
    reading: str = ""

    @property
    def request(self) -> str:
        """What the engine is given: the reading string, or else the speech text."""
        return self.reading or self.spoken


# --------------------------------------------------------------------------- character classes

#: Punctuation that makes a pause, by strength: the strongest of a run is kept.
_PAUSE_STRENGTH = {
    "、": 0, "，": 1, ",": 1, "：": 2, ":": 2, "；": 3, ";": 3,
    "。": 4, ".": 4, "！": 4, "!": 4, "？": 4, "?": 4,
}  # fmt: skip
_FULLWIDTH = {",": "，", ".": "。", ";": "；", ":": "：", "!": "！", "?": "？"}
#: Every character :func:`to_speech` may return, besides the placeholder and lexicon readings.
SPEAKABLE_PUNCTUATION = "，。！？；：、“”‘’《》（）…—·,.!?;:'-%/℃ "
_CJK_SIDE_MARKS = frozenset("，。！？；：、“”‘’《》（）…—")
_SPEAKABLE_MARKS = frozenset(SPEAKABLE_PUNCTUATION)


# Character classes as code-point tests, not regular expressions: a class with the Han
# ranges takes the re module about 3 ms to compile, on every run. (_is_han: reading.is_han)


def _is_word_char(ch: str) -> bool:
    """Han, ASCII letters and digits, and Latin letters with diacritics."""
    if ch.isascii():
        return ch.isalnum()
    code = ord(ch)
    return (0xC0 <= code <= 0x24F and code not in (0xD7, 0xF7)) or _is_han(ch)


def _is_speakable(ch: str) -> bool:
    return ch in _SPEAKABLE_MARKS or _is_word_char(ch)


def _is_cjk_side(text: str) -> bool:
    """One Han character or Chinese punctuation mark: ASCII punctuation beside it becomes
    full-width."""
    return len(text) == 1 and (text in _CJK_SIDE_MARKS or _is_han(text))


# ---------------------------------------------------------------------------- sentence splitting

_CLOSERS = "”’」』）)》】〕"
_SENTENCE_END = re.compile(
    rf"(?:[。！？；!?;]|…|\.{{3,}})(?:[。！？；!?;…{_CLOSERS}]|\.{{3,}})*\s*"
    r"|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]\s*"
)


def split_sentences(text: str) -> list[str]:
    """Split after sentence ends (and their closing quotes) and at line breaks.

    Whitespace after a sentence stays with it, leading whitespace goes with the first sentence;
    ``"".join(split_sentences(text)) == text`` always.
    """
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > start:
            pieces.append(text[start : match.end()])
            start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    # A whitespace-only piece (text opening with blank lines) joins the sentence after it.
    merged: list[str] = []
    carry = ""
    for piece in pieces:
        if not piece.strip():
            carry += piece
            continue
        merged.append(carry + piece)
        carry = ""
    if carry:
        if merged:
            merged[-1] += carry
        else:
            merged.append(carry)
    return merged


# ------------------------------------------------------------------ splitting long sentences

_SOFT_BREAK = re.compile(r"[，、：]\s*|[,:](?!\d)\s*")
#: Spans never cut when a long sentence is split: number expressions, Latin words, entities,
#: placeholder runs.
_ATOMIC = re.compile(
    r"[-−¥￥$€£]?[0-9０-９]+(?:[.,:：/\-~～—–．][0-9０-９]+)*[%％‰℃]?"
    r"(?:年(?:[0-9０-９]{1,2}月(?:[0-9０-９]{1,2}[日号])?)?|[月日号])?"
    r"|[A-Za-z][A-Za-z0-9'\-_.]*[A-Za-z0-9]|&#?\w+;|[*＊×]+|[Xx]{2,}|[○〇]{2,}"
)


def speech_sentences(
    text: str, options: SpeechOptions, max_chars: int = 120, words: WordReadings | None = None
) -> tuple[SpeechSentence, ...]:
    """Sentences of ``text`` whose spoken text is at most ``max_chars`` long.

    A longer sentence is split at ，、：, then at jieba word boundaries, and only as a last
    resort (a single word longer than ``max_chars``) between characters. Number expressions,
    Latin words and placeholder runs are never cut, unless alone longer than ``max_chars``.
    ``words``: see :func:`audiopack.reading.read`.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    result: list[SpeechSentence] = []
    for sentence in split_sentences(text):
        for piece in _fit(sentence, options, max_chars, 0):
            spoken = to_speech(piece, options)
            reading = ""
            if spoken and options.input_form == "pinyin":
                from audiopack.speech.reading import as_text

                reading = as_text(spoken, options.lexicon, words)
            result.append(SpeechSentence(piece, spoken, reading))
    return tuple(result)


def _fit(text: str, options: SpeechOptions, max_chars: int, level: int) -> list[str]:
    """Cut ``text`` into consecutive pieces whose spoken text fits (levels: clauses, words,
    characters outside atomic spans, any characters)."""
    if len(to_speech(text, options)) <= max_chars or level > 3:
        if level > 3:
            log.warning("cannot split %r to %d spoken characters", text, max_chars)
        return [text]
    units = _units(text, options, level)
    if len(units) <= 1:
        return _fit(text, options, max_chars, level + 1)
    pieces: list[str] = []
    current = ""
    for unit in units:
        if current and len(to_speech(current + unit, options)) > max_chars:
            pieces.append(current)
            current = unit
        else:
            current += unit
    pieces.append(current)
    result: list[str] = []
    for piece in pieces:
        result.extend(_fit(piece, options, max_chars, level + 1))
    return result


def _units(text: str, options: SpeechOptions, level: int) -> list[str]:
    if level == 0:
        cuts = {m.end() for m in _SOFT_BREAK.finditer(text)}
    elif level == 1:
        cuts, position = set(), 0
        for token in segment(text, options.lexicon):
            position += len(token)
            cuts.add(position)
    else:
        cuts = set(range(1, len(text)))
    if level < 3:
        for match in _ATOMIC.finditer(text):
            cuts -= set(range(match.start() + 1, match.end()))
        # Whitespace stays with what comes before it.
        cuts = {c for c in cuts if c >= len(text) or not text[c].isspace()}
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(text)), len(text)]
    return [text[a:b] for a, b in pairwise(bounds) if b > a]


def chunk(sentences: Sequence[SpeechSentence], max_chars: int = 300) -> list[list[SpeechSentence]]:
    """Group consecutive sentences, each group's spoken text totalling at most ``max_chars``.

    A sentence longer than ``max_chars`` on its own (which :func:`speech_sentences` never makes
    with a smaller ``max_chars``) gets a group of its own.
    """
    groups: list[list[SpeechSentence]] = []
    current: list[SpeechSentence] = []
    total = 0
    for sentence in sentences:
        size = len(sentence.spoken)
        if current and total + size > max_chars:
            groups.append(current)
            current, total = [], 0
        if size > max_chars:
            log.warning("sentence of %d spoken characters exceeds %d", size, max_chars)
        current.append(sentence)
        total += size
    if current:
        groups.append(current)
    return groups


# ---------------------------------------------------------------------------------- to_speech


def to_speech(text: str, options: SpeechOptions) -> str:
    """The spoken form of ``text`` (never raises for any string)."""
    spoken = _normalise_characters(drop_markers(text))
    spoken = read_codes(spoken)
    spoken = _placeholders(spoken, options.placeholder)
    spoken = read_numbers(spoken, options.numbers)
    spoken = _punctuation(spoken)
    if not any(map(_is_word_char, spoken)):
        return ""
    if options.input_form == "pinyin":
        return spoken  # the reading layer applies the lexicon
    return options.lexicon.apply(spoken)


_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,30});")
_CHAR_MAP = str.maketrans(
    {
        "％": "%", "＋": "+", "－": "-", "−": "-", "–": "—", "―": "—", "～": "~",
        "【": "（", "】": "）", "〔": "（", "〕": "）", "［": "（", "］": "）",
        "[": "（", "]": "）", "{": "（", "}": "）", "(": "（", ")": "）",
        "「": "“", "」": "”", "『": "‘", "』": "’", "〈": "《", "〉": "》",
        "﹐": "，", "﹑": "、", "﹔": "；", "﹕": "：", "﹖": "？", "﹗": "！",
        "㎡": "平方米", "㎞": "公里", "㏎": "公里", "㎏": "千克", "℉": "华氏度",
    }
)  # fmt: skip
_UNITS = (
    (re.compile(r"°\s*C(?![A-Za-z])"), "℃"),
    (re.compile(r"(?<![A-Za-z])km[²2](?![A-Za-z0-9])"), "平方公里"),
    (re.compile(r"(?<![A-Za-z])m²"), "平方米"),
    (re.compile(r"(?<![A-Za-z])m³"), "立方米"),
)


def _normalise_characters(text: str) -> str:
    text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
    chars: list[str] = []
    for ch in text:
        code = ord(ch)
        if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A:
            chars.append(chr(code - 0xFEE0))  # full-width digits and letters
        elif ch.isspace():
            chars.append(" ")
        elif ch.isdecimal() and not ch.isascii():
            chars.append(str(unicodedata.decimal(ch)))
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me"):
            continue
        else:
            chars.append(ch)
    text = "".join(chars).translate(_CHAR_MAP)
    for pattern, replacement in _UNITS:
        text = pattern.sub(replacement, text)
    text = re.sub(r"(?<=\d)\s*[．]\s*(?=\d)", ".", text)
    text = re.sub(r"(?<=\d)：(?=\d)", ":", text)
    return re.sub(r"\.{3,}", "……", text)


_PLACEHOLDER = re.compile(
    r"[*＊]+|×+|(?<![A-Za-z0-9])(?:X{2,}|x{2,})(?![A-Za-z0-9])|○{2,}"
    rf"|(?<![0-9{_CN_NUMERAL}])〇{{2,}}(?![0-9{_CN_NUMERAL}])"
)


def _placeholders(text: str, placeholder: str) -> str:
    # "3×4" and "3*4" are products, not redactions.
    text = re.sub(r"(?<=\d)\s*[×*＊]\s*(?=\d)", "乘", text)
    return _PLACEHOLDER.sub(lambda m: placeholder if len(m.group()) == 1 else placeholder * 2, text)


# -------------------------------------------------------------------------------- punctuation

_PAUSE_RUN = re.compile(r"[，、；：。！？,;:.!?](?:\s*[，、；：。！？,;:.!?])+")
_ASCII_PUNCT = re.compile(r"\s*([,.;:!?])\s*")
_EMPTY_PAIR = re.compile(r"（[\s，、；：。！？]*）|“\s*”|‘\s*’|《\s*》")
_LEADING = re.compile(r"^[\s，、；：。！？,;:.!?…—·”’）》]+")


def _is_ascii_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _punctuation(text: str) -> str:
    # Unspeakable symbols (emoji, markup signs, stray +, #, *, ~...) go; a space keeps two
    # Latin words apart.
    chars = list(text)
    for i, ch in enumerate(chars):
        if not _is_speakable(ch) or (ch == "/" and not _between_digits(text, i)):
            before = text[i - 1] if i else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            chars[i] = " " if _is_ascii_word(before) and _is_ascii_word(after) else ""
    text = "".join(chars)
    text = _ASCII_PUNCT.sub(_fullwidth_punct, text)
    text = _PAUSE_RUN.sub(_strongest, text)
    text = re.sub(r"…+", "……", text)
    text = re.sub(r"—+", "——", text)
    while True:
        emptied = _EMPTY_PAIR.sub("", text)
        if emptied == text:
            break
        text = emptied
    # Removing an empty pair can bring two marks together: "。（）。".
    text = _PAUSE_RUN.sub(_strongest, text)
    text = _LEADING.sub("", text)
    text = re.sub(r"\s+", " ", text)
    return re.sub(r" ", _keep_space, text).strip()


def _between_digits(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()


def _fullwidth_punct(m: re.Match[str]) -> str:
    text = m.string
    before = text[m.start() - 1] if m.start() else ""
    after = text[m.end()] if m.end() < len(text) else ""
    mark = m.group(1)
    if _is_ascii_word(before) and _is_ascii_word(after):
        return m.group()  # 3.5, 1,000, e.g.
    if _is_cjk_side(before) or _is_cjk_side(after):
        return _FULLWIDTH[mark]
    return m.group()


def _strongest(m: re.Match[str]) -> str:
    marks = [ch for ch in m.group() if not ch.isspace()]
    best = max(marks, key=lambda ch: _PAUSE_STRENGTH[ch])  # first of the strongest
    return best


def _keep_space(m: re.Match[str]) -> str:
    text = m.string
    before = text[m.start() - 1] if m.start() else ""
    after = text[m.end()] if m.end() < len(text) else ""
    keep = before.isascii() and after.isascii() and before.strip() and after.strip()
    return " " if keep else ""
