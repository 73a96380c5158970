"""Numbers in the spoken text, as a Mandarin reader says them (for the offline engines).

:func:`read_numbers` rewrites a speech text (never the displayed text); ``speech.to_speech``
calls it after :mod:`audiopack.speech.codes` (文号, codes, markers, ``/``, ``+``: every engine) and
placeholders. With ``numbers`` off (the neural voices read digits themselves) only dates,
ranges, ``‰``, negative temperatures and currency signs change.

* cn2an's ``transform`` reads the general case (integers, decimals, ``%``, ``1/3``, ``第10项``),
  with 二, not 两, after a decimal point (5.2万亿 → 五点二万亿);
* handled here first, because cn2an gets them wrong: ISO dates (2024-01-05), year-months
  (2024-01), times and time ranges (9:00-12:00 → 九点到十二点), ratios (3:1), ranges (3-5 →
  三到五; a written 至 stays), negative temperatures (-3℃ → 零下三摄氏度), thousands separators
  (1,234.5), phone-like strings (11+ digits or a leading zero: digit by digit), version-like
  dotted numbers (1.2.3), ``N年`` (four digits are a year read digit by digit, other counts are
  cardinals: 10年 → 十年, 2年 → 两年), years naming a plan (2035远景目标, 《中国制造2025》,
  （2023）), month and day numbers (01月 → 一月), ``2`` before a measure word (2个 → 两个),
  ``‰`` and currency signs, units written in Latin letters after a number (350km/h →
  三百五十公里每小时);
* digits in a name with Latin letters: three or more after a letter one by one (B737 →
  B七三七), otherwise a cardinal (G20 → G二十, PM2.5 → PM二点五, 5G → 五G).

Nothing is left as a digit when ``numbers`` is on; cn2an never raises out of
:func:`read_numbers`: on any error the digits are read one by one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

__all__ = ["CN_NUMERAL", "cardinal", "digits", "read_numbers"]

log = logging.getLogger(__name__)

_DIGITS = "零一二三四五六七八九"
#: Characters of a number written in Chinese numerals.
CN_NUMERAL = "零一二三四五六七八九十百千万亿两〇"
_CN_NUMERAL = CN_NUMERAL


#: Measure words and magnitudes after which 2 is 两 (2个 → 两个).
_MEASURE = "个位名项次条件种天倍家所座台辆份只批户万亿千百岁"
#: What may follow a number that counts: measure words, units, magnitudes, 多/余.
_COUNTED = (
    _MEASURE
    + "多余人元吨米克斤亩年月日号届期场处间套架艘部本册篇张株头匹秒时度里平立公毫微兆余起例票"
)
_NUM = r"\d+(?:\.\d+)?"
_TIME = r"(?:[01]?\d|2[0-4]):[0-5]\d(?::[0-5]\d)?"
_RANGE_RIGHT = r"(?:[1-9]\d*(?:\.\d+)?|0(?:\.\d+)?)"
_NUMBER_PATTERNS: tuple[tuple[str, str], ...] = (
    ("latin", r"(?<![A-Za-z0-9])(?:\d+(?:\.\d+)?[A-Za-z]|[A-Za-z])[A-Za-z0-9]*"
              r"(?:['\-_.][A-Za-z0-9]+)*"),
    ("date", r"(?<![\d.])(?P<dy>\d{4})(?P<ds>[-/.])(?P<dm>0?[1-9]|1[0-2])(?P=ds)"
             r"(?P<dd>0?[1-9]|[12]\d|3[01])(?![\d])(?:日|号)?"),
    ("ym", r"(?<![\d.])(?P<yy>(?:1[89]|20)\d{2})[-/](?P<ymm>0?[1-9]|1[0-2])(?![\d/-])"),
    ("time", rf"(?<![\d:.]){_TIME}(?:\s*(?:——|[-~—至])\s*{_TIME})?(?![\d:])"),
    ("ratio", rf"(?<![\d:.]){_NUM}(?::{_NUM})+(?![\d:])"),
    ("negt", rf"(?<![\dA-Za-z.])-\s*(?P<nt>{_NUM})\s*(?P<nu>℃|度)"),
    ("year", r"(?<![\d.])(?P<yr>\d+)(?=\s*年)"),
    # A year naming something (2035远景目标, 2025中国足协杯, 《中国制造2025》), not a count.
    ("yearname", rf"(?<![\d.,])(?:19|20)\d\d(?![\d.,%])(?=[\u4e00-\u9fff》”])"
                 rf"(?![{_COUNTED}]|以[上下内]|左右|上下|开外)"
                 r"|(?<=（)(?:19|20)\d\d(?=）)"),
    ("md", r"(?<![\d.])(?P<mdn>\d{1,2})(?=[月日号])"),
    ("phone", r"(?<![\d.])(?:0\d{2,3}-\d{7,8}|\d{11,}|0\d+)(?![\d.])"),
    ("thou", r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d|,\d)"),
    ("longdec", r"(?<![\d.])\d+\.\d{9,}(?![\d.])"),
    ("dotted", r"(?<![\d.])\d+(?:\.\d+){2,}(?![\d.])"),
    ("range", rf"(?<![\d.])(?P<rl>{_NUM})(?P<rlp>%?)\s*(?:——|[-~—])\s*(?P<rr>{_RANGE_RIGHT})"
              r"(?P<rrp>%?)(?![\d.])(?P<ry>\s*年)?"),
    ("permille", rf"(?:(?<![\dA-Za-z.])(?P<pmn>-))?(?P<pm>{_NUM})‰"),
    ("money", rf"(?P<cur>[¥￥$€£])\s*(?P<mv>{_NUM})(?P<mg>[万亿]*)"),
    ("liang", rf"(?<![\d.第、])2(?=[{_MEASURE}])"),
    ("neg", r"(?<![\dA-Za-z.])-(?=\d)"),
)  # fmt: skip
_NUMBER_RE = re.compile("|".join(f"(?P<{name}>{regex})" for name, regex in _NUMBER_PATTERNS))
_CURRENCY = {"¥": "元", "￥": "元", "$": "美元", "€": "欧元", "£": "英镑"}
_LATIN_UNITS = {
    "km/h": "公里每小时", "km": "公里", "kg": "千克", "cm": "厘米", "mm": "毫米", "m": "米",
    "kWh": "千瓦时", "kW": "千瓦", "MW": "兆瓦", "GW": "吉瓦", "t": "吨", "g": "克", "h": "小时",
    "L": "升", "ml": "毫升", "mL": "毫升",
}  # fmt: skip
_LATIN_UNIT = re.compile(
    rf"(?:(?<=\d)\s?|(?<=每))(?:{'|'.join(sorted(_LATIN_UNITS, key=len, reverse=True))})"
    r"(?![A-Za-z0-9])"
)
#: 二零一九年十月—二零二零年三月: a dash between two dates is 到.
_DATE_RANGE = re.compile(rf"(?<=[年月日])\s*(?:—+|-|~)\s*(?=[{_CN_NUMERAL}]+[年月日])")
#: What still changes when numbers are read by the engine itself.
_ALWAYS = frozenset({"date", "ym", "negt", "range", "permille", "money"})


def digits(number: str) -> str:
    return "".join(_DIGITS[int(ch)] if ch.isdigit() else "点" for ch in number if ch != ",")


def cardinal(number: str) -> str:
    """Chinese reading of a non-negative decimal number string (digits, optional fraction)."""
    whole, _, fraction = number.replace(",", "").partition(".")
    whole = whole.lstrip("0") or "0"
    reading = digits(whole)
    if len(whole) <= 16:
        try:
            import cn2an

            reading = str(cn2an.an2cn(whole, "low"))
        except Exception:  # cn2an must never break speech: read digit by digit
            log.debug("cn2an failed on %r", whole, exc_info=True)
    if re.match(r"二[千万亿]", reading):
        reading = "两" + reading[1:]
    return reading + ("点" + digits(fraction) if fraction else "")


def _year(number: str) -> str:
    return digits(number) if len(number) == 4 else cardinal(number)


def _transform(text: str) -> str:
    """cn2an for the general case; digit-by-digit reading if it fails."""
    if not re.search(r"\d", text):
        return text
    try:
        import cn2an

        result = str(cn2an.transform(text, "an2cn"))
    except Exception:  # cn2an must never break speech
        log.debug("cn2an.transform failed on %r", text, exc_info=True)
        result = re.sub(r"(\d+(?:\.\d+)?)%", lambda m: "百分之" + digits(m.group(1)), text)
        result = re.sub(r"\d+(?:\.\d+)?", lambda m: digits(m.group()), result)
    # 两 for a count (2万 → 两万), 二 after a decimal point (5.2万亿 → 五点二万亿).
    return re.sub(f"(?<![{_CN_NUMERAL}点])二(?=[千万亿])", "两", result)


def _number_match(m: re.Match[str], numbers: bool) -> str:
    kind = m.lastgroup or ""
    text = m.group()
    if not numbers and kind not in _ALWAYS:
        return text
    g = m.group
    if kind == "latin":
        return _latin(text)
    if kind == "date":
        year, month, day = g("dy"), int(g("dm")), int(g("dd"))
        if not numbers:
            return f"{year}年{month}月{day}日"
        return f"{digits(year)}年{cardinal(str(month))}月{cardinal(str(day))}日"
    if kind == "ym":
        year, month = g("yy"), int(g("ymm"))
        if not numbers:
            return f"{year}年{month}月"
        return f"{digits(year)}年{cardinal(str(month))}月"
    if kind == "negt":
        unit = "摄氏度" if numbers and g("nu") == "℃" else g("nu")
        return f"零下{cardinal(g('nt')) if numbers else g('nt')}{unit}"
    if kind == "range":
        left, right, year = g("rl"), g("rr"), g("ry") or ""
        if not numbers:
            return f"{left}{g('rlp')}到{right}{g('rrp')}{year}"
        if (year or _looks_like_years(left, right)) and len(left) == len(right) == 4:
            return f"{digits(left)}到{digits(right)}{year}"
        percent = "百分之" if g("rlp") or g("rrp") else ""
        # 1—2个 → 一到两个, 2—3岁 → 两到三岁: a count before a measure word.
        count = not percent and re.match(f"[{_MEASURE}]", m.string[m.end() :]) is not None
        left_s, right_s = (
            "两" if count and number == "2" else cardinal(number) for number in (left, right)
        )
        return f"{percent}{left_s}到{percent}{right_s}{year}"
    if kind == "time":
        # A dash between two times is said 到; a written 至 stays.
        return ("至" if "至" in text else "到").join(_time(t) for t in re.findall(_TIME, text))
    if kind == "ratio":
        return "比".join(cardinal(part) for part in text.split(":"))
    if kind in ("phone", "dotted"):
        return digits(text.replace("-", ""))
    if kind in ("thou", "longdec"):
        return cardinal(text)
    if kind == "permille":
        sign = "负" if g("pmn") else ""
        return f"{sign}千分之{cardinal(g('pm')) if numbers else g('pm')}"
    if kind == "money":
        value = cardinal(g("mv")) if numbers else g("mv")
        return f"{value}{g('mg')}{_CURRENCY[g('cur')]}"
    if kind == "year":
        if g("yr") == "2" and not _ordinal_or_grade(m):
            return "两"  # a count of years: 留用2年 → 留用两年
        return _year(g("yr"))
    if kind == "yearname":
        return digits(text)
    if kind == "md":
        return cardinal(str(int(g("mdn"))))
    if kind == "liang":
        return "两"
    if kind == "neg":
        return "负"
    return text  # pragma: no cover - every group is handled above


def _ordinal_or_grade(m: re.Match[str]) -> bool:
    """第2年, 2年级: 二, not 两."""
    before, after = m.string[max(0, m.start() - 1) : m.start()], m.string[m.end() :]
    return before == "第" or re.match(r"\s*年级", after) is not None


def _time(text: str) -> str:
    hour, minute, *second = (int(part) for part in text.split(":"))
    reading = f"{cardinal(str(hour))}点"
    if minute or any(second):
        reading += f"{'零' if minute < 10 else ''}{cardinal(str(minute))}分"
    if any(second):
        reading += f"{cardinal(str(second[0]))}秒"
    return reading


def _latin(token: str) -> str:
    """Digits in a name: three or more after a letter one by one (B737), else a cardinal (G20)."""

    def number(m: re.Match[str]) -> str:
        after_letter = m.start() > 0 and token[m.start() - 1].isalpha()
        if after_letter and len(m.group().partition(".")[0]) >= 3:
            return digits(m.group())
        return re.sub("^两", "二", cardinal(m.group()))

    return re.sub(r"\d+(?:\.\d+)?", number, token)


def _looks_like_years(left: str, right: str) -> bool:
    return left.isdigit() and right.isdigit() and 1900 <= int(left) < int(right) <= 2099


def read_numbers(text: str, numbers: bool) -> str:
    """``text`` with numbers as spoken; digit readings only if ``numbers``."""
    if numbers:
        text = _LATIN_UNIT.sub(lambda m: _LATIN_UNITS[m.group().lstrip()], text)
    parts: list[str] = []
    position = 0
    convert: Callable[[str], str] = _transform if numbers else (lambda s: s)
    for match in _NUMBER_RE.finditer(text):
        parts.append(convert(text[position : match.start()]))
        parts.append(_number_match(match, numbers))
        position = match.end()
    parts.append(convert(text[position:]))
    spoken = "".join(parts)
    if numbers:
        spoken = spoken.replace("℃", "摄氏度").replace("%", "").replace("‰", "")
        spoken = re.sub(f"(?<=[{_CN_NUMERAL}])°", "度", spoken)
        spoken = _DATE_RANGE.sub("到", spoken)
        # Whatever no rule read (cn2an's odd corners) is read digit by digit.
        spoken = re.sub(r"\d", lambda m: _DIGITS[int(m.group())], spoken)
    return spoken
