"""Codes and symbols in the spoken text, for every engine (the neural voices included).

These belong to the text, not to the voice: a 文号, an event code or a footnote marker is
read the same way whoever speaks it, so the readings are written out in Chinese here and
the Edge voices get them too. Digit readings of ordinary numbers are
:mod:`audiopack.speech.numerals`' job, for the offline engines only.

* :func:`drop_markers` (on the text as written, before brackets are normalised): footnote
  markers ``[1]``, ``〔1〕``, ``［1］`` anywhere and ``(21)``/``（21）`` right after a word or a
  sentence end are silent; ``(1)`` opening a clause is an enumerator and stays.
* :func:`read_codes` (after normalisation):

  - ○ and 〇 inside a number in Chinese numerals are zeros (二○二三年 → 二零二三年), not
    redaction placeholders;
  - a 文号 (国发〔2023〕5号): the year digit by digit, the serial as a cardinal up to three
    digits and digit by digit beyond (计价格[2002]1980号 → 计价格二零零二一九八零号);
  - event and date codes joined by a middle dot (“7·20” → 七二零, “30·60”), quoted numeric
    codes of three digits or more (“3060” → 三零六零, “8890”热线), the 123xx hotlines,
    generations (90后 → 九零后) and day codes of a speech (“7.1”, 7.1讲话 → 七一);
  - model and line names, capitals then three digits or more (C919 → C九一九, M102), and
    roads and lines whatever their length (G98环岛高速 → G九八);
  - a slash between a quantity's unit and a unit is 每 (27微克/立方米, 58万元/人), a ×
    between measures is 乘 (480毫米×140毫米);
  - ``+`` is 加 (“人工智能+”, “2+26”城市), Roman numerals are numbers (Ⅱ级, Ⅳ类).
"""

from __future__ import annotations

import re

from audiopack.speech.numerals import cardinal, digits

__all__ = ["drop_markers", "read_codes"]

_OPEN_SQUARE, _CLOSE_SQUARE = r"\[［〔【", r"\]］〕】"
_MARKER_DIGITS = "[0-9０-９]{1,3}"
_MARKERS = re.compile(
    # 注〔24〕 and 见〔3〕 point to a note by its number: that is read.
    rf"(?<![注见])[{_OPEN_SQUARE}]{_MARKER_DIGITS}[{_CLOSE_SQUARE}]"
    # A round marker follows a word or a sentence end; after a clause mark it enumerates.
    rf"|(?<=[^\s，、：；,:;（(“‘《第])[（(]{_MARKER_DIGITS}[）)]"
    # Circled and parenthesised numerals (①, ⑴, ⒈): footnote marks or list bullets, never read.
    r"|[\u2460-\u249b\u24ea-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]"
)


def drop_markers(text: str) -> str:
    """``text`` without footnote markers (run on the text as written)."""
    return _MARKERS.sub("", text)


_HAN_DIGIT = "零一二三四五六七八九〇○"
_ZERO_RUN = re.compile(rf"[{_HAN_DIGIT}]+(?=[年月日号])|[{_HAN_DIGIT}]{{4,}}")
#: 凯丰（一九○六——一九五五）: a dash between two years is 到.
_LIFESPAN = re.compile(rf"(?<=[{_HAN_DIGIT}]{{4}})—+(?=[{_HAN_DIGIT}]{{4}})")
_DOC_NUMBER = re.compile(
    r"(?<=[\u4e00-\u9fff])（\s*(?P<year>(?:19|20)\d\d)\s*）\s*(?P<nth>第?)\s*(?P<serial>\d{1,6})\s*号"
)
_DOT = "·・•‧"
_CODES = re.compile(
    rf"(?P<dotted>(?<![\d.])\d{{1,4}}(?:\s*[{_DOT}]\s*\d{{1,4}})+(?![\d.]))"
    r"|“(?P<quoted>\d{3,})”"
    r"|(?<=“)(?P<day>(?:[1-9]|1[0-2])\.(?:[1-9]|[12]\d|3[01]))(?=”)"
    r"|(?<![\d.])(?P<speech>(?:[1-9]|1[0-2])\.(?:[1-9]|[12]\d|3[01]))(?=(?:重要)?讲话)"
    # Service numbers: the 123xx government hotlines (12345, 12315), numbers dialled.
    r"|(?<![\d.])(?P<hotline>123\d\d|(?<=拨打)\d{3,})(?![\d.,%]|[万亿千百元人名个户家次件项条])"
    r"|(?<![\d.])(?P<cohort>\d[05])(?=后)"  # “90后”, “00后”: 九零后, 零零后
    r"|(?<![A-Za-z0-9])(?P<route>[A-Z]{1,2}\d{1,4})(?=[\u4e00-\u9fff]{0,4}?(?:高速|国道|省道|公路|线))"
    r"|(?<![A-Za-z0-9])(?P<model>[A-Z]{1,3})(?P<model_digits>\d{3,})(?![\d.,]|[万亿元])"
)
_UNIT = (
    r"(?:平方公里|平方米|立方米|千瓦时|万千瓦|公里|千米|厘米|毫米|米|平方|立方|千克|公斤|毫克|微克|克|"
    r"吨|升|毫升|人次|人|户|家|床|辆|台|件|次|小时|时|分钟|秒|年|季度|月|周|日|天|亩|公顷|株|头|只|"
    r"标准箱|箱)"
)
#: A quantity and its unit, then a slash and a unit: the slash is 每.
_SLASH = re.compile(
    r"(?P<quantity>\d(?:[\d.,]*\d)?\s*[%‰℃]?[万亿千百]*[\u4e00-\u9fffA-Za-z²³]{1,5}?)"
    rf"\s*/\s*(?={_UNIT})"
)
#: 480毫米×140毫米: a product, not a redaction placeholder.
_TIMES = re.compile(r"(?<=[\d米克吨寸尺])\s*[×*＊]\s*(?=\d)")
_ONE_TO_TWELVE = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")
#: Ⅰ-Ⅻ and ⅰ-ⅻ, the Roman numeral characters.
_ROMAN = {chr(0x2160 + i): n for i, n in enumerate(_ONE_TO_TWELVE)}
_ROMAN |= {chr(0x2170 + i): n for i, n in enumerate(_ONE_TO_TWELVE)}
_ASCII_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8}
_ROMAN_RE = re.compile(
    rf"[{''.join(_ROMAN)}]|(?<![A-Za-z])(?P<ascii>VIII|VII|VI|IV|V|III|II|I)(?=[级类期])"
)


def read_codes(text: str) -> str:
    """``text`` with codes and symbols written as they are said (run after normalisation)."""
    text = _ZERO_RUN.sub(_zeros, text)
    text = _LIFESPAN.sub("到", text)
    text = re.sub(r"(?<=\d)\s*∶\s*(?=\d)", ":", text)  # 4.0∶37.7∶58.3: the ratio sign
    text = _DOC_NUMBER.sub(_doc_number, text)
    text = _CODES.sub(_code, text)
    text = _TIMES.sub("乘", text)
    text = _SLASH.sub(r"\g<quantity>每", text)
    text = text.replace("+", "加")
    return _ROMAN_RE.sub(_roman, text)


def _zeros(m: re.Match[str]) -> str:
    run = m.group()
    if not any(ch in "一二三四五六七八九" for ch in run):
        return run  # ○○ alone is a placeholder
    return run.replace("○", "零").replace("〇", "零")


def _doc_number(m: re.Match[str]) -> str:
    serial = m.group("serial")
    spoken = cardinal(serial) if len(serial) <= 3 and serial[0] != "0" else digits(serial)
    return f"{digits(m.group('year'))}{m.group('nth')}{spoken}号"


def _code(m: re.Match[str]) -> str:
    if m.group("route"):  # G98环岛高速: road and line numbers are said digit by digit
        return re.sub(r"\d+", lambda d: digits(d.group()), m.group("route"))
    if m.group("model"):
        return m.group("model") + digits(m.group("model_digits"))
    if m.group("quoted"):
        return f"“{digits(m.group('quoted'))}”"
    return digits(re.sub(rf"[\s.{_DOT}]", "", m.group()))


def _roman(m: re.Match[str]) -> str:
    if m.group("ascii"):
        return cardinal(str(_ASCII_ROMAN[m.group("ascii")]))
    return _ROMAN[m.group()]
