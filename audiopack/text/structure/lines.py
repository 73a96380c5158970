"""What one line of a manuscript is: a heading (and of which rank), a numbered point, a title,
a salutation, a date, a signature, a spoken structure marker. Pure functions on strings."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Point titles and subsection prefixes longer than this are cut and get "…".
TITLE_MAX_CHARS = 30
TITLE_LINE_MAX_CHARS = 40
#: A headline title (first line, may hold "：" or "，") up to this length.
HEADLINE_MAX_CHARS = 60
HEADING_LINE_MAX_CHARS = 60
#: A heading line this short may end in one "。" ("一、总体要求。").
HEADING_TRAILING_STOP_MAX_CHARS = 30
#: An unnumbered heading (a bare short line between paragraphs) is at most this long.
BARE_HEADING_MAX_CHARS = 30
SALUTATION_MAX_CHARS = 20
#: An addressee line of a document (主送机关) may be long: "各省、自治区、直辖市人民政府，…："
ADDRESSEE_MAX_CHARS = 120
#: ... and longer when it lists many organs ("中国工商银行、中国农业银行、…分行："): at least
#: this many "、".
LIST_ADDRESSEE_MAX_CHARS = 300
LIST_ADDRESSEE_ITEMS = 8

CN_NUM = "一二三四五六七八九十百零〇两"
CN_SMALL = "一二三四五六七八九十"
_DATE_DIGITS = "\\d一二三四五六七八九十〇零○Ｏ０-９"

#: Marker heading kinds, highest rank first. A rank is index * RANK_STEP, so that a bare
#: (unnumbered) heading can sit between two marker kinds.
RANK_STEP = 10
_HEADING_MARKERS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"^第[{CN_NUM}\d]+(?:部分|篇)"),
    re.compile(rf"^第[{CN_NUM}\d]+(?:章|讲)"),
    re.compile(rf"^第[{CN_NUM}\d]+节"),
    # 一、 一． 一. and "一 地主阶级" (an ideographic space, normalised to one space), and a
    # numeral alone on its line ("一" over a part of a book chapter)
    re.compile(rf"^[{CN_NUM}]+(?:[、．.]| (?=\S)|$)"),
    re.compile(rf"^[（(][{CN_NUM}]+[）)]"),
    re.compile(r"^\d{1,2}(?:[、．]|\.(?!\d))"),
    re.compile(r"^[（(]\d{1,2}[）)]"),
)

POINT_MARKER = re.compile(
    r"^(?:"
    rf"[{CN_SMALL}]{{1,3}}(?:要|是|[、．.])"  # 一要 一是 一、
    rf"|第[{CN_SMALL}]{{1,3}}[，,、：:]"  # 第一，
    rf"|第[{CN_NUM}\d]{{1,5}}条"  # 第一条 (articles of a regulation)
    r"|(?:首先|其次|再次|然后|最后)[，,]"
    rf"|[（(][{CN_SMALL}]{{1,3}}[）)]"  # （一）
    r"|[（(]?\d{1,2}[）)]"  # （1） 1)
    r"|\d{1,2}(?:[、．]|\.(?!\d))"  # 1. 1、 1． but not 3.5%
    r"|[\u2460-\u2473\u2776-\u277f]"  # ①…⑳ ❶…❿
    r")"
)

SENTENCE_END = "。！？；!?;"
STRONG_STOPS = "。！？!?"
NO_TITLE_CHARS = "。！？；：!?;:"

_GREETED = "(?:领导|同志|代表|委员|来宾|嘉宾|朋友|同学|老师|同仁|家人|乡亲|战友|青年)"
#: "同志们，" / "各位同志！" / "同志们、朋友们，" opening a closing paragraph.
CLOSING_SALUTATION = re.compile(
    rf"^(?:各位{_GREETED}们?|{_GREETED}们)(?:、(?:各位)?{_GREETED}们?)*[，,！!]"
)
#: A closing summary: "今天我所讲的，…", "以上讲的几点意见，…", "我就讲这些。"
CLOSING_SUMMARY = re.compile(
    r"^(?:(?:今天|以上|上面)(?:我|我们)?(?:所|就)?(?:讲|谈|说)(?:的|了)"
    r"|我(?:今天)?就(?:讲|谈|说)(?:这些|到这里))"
)
#: A closing appeal: the last paragraph of a speech calling on its hearers.
CLOSING_APPEAL = re.compile(
    r"^(?:[^，。！？]{1,6}[，,])?(?:让我们|最后，|最后,|衷心祝愿|祝愿|祝大家|预祝)"
)

DATE_LINE = re.compile(
    rf"^[（(]?(?:[{_DATE_DIGITS}]{{4}})\s*年\s*(?:[{_DATE_DIGITS}]{{1,3}}\s*月"
    rf"(?:\s*[{_DATE_DIGITS}]{{1,3}}\s*日)?)?[）)]?$"
    r"|^\d{4}[-./]\d{1,2}[-./]\d{1,2}$"
)
#: A law's history under its title: "（2023年10月24日第十四届全国人民代表大会常务委员会
#: 第六次会议通过）".
DATED_LINE = re.compile(
    rf"^[（(]?[{_DATE_DIGITS}]{{4}}年[{_DATE_DIGITS}]{{1,3}}月[{_DATE_DIGITS}]{{1,3}}日"
    r"[^。！？]{0,100}[）)]?$"
)
#: Lines of a copied web page or book edition under the title: source, time, author, editor.
META_LINE = re.compile(
    r"^(?:来源|时间|作者|发布时间|发布日期|日期|出处|编辑|责任编辑|字号|稿源|原标题)\s*[:：]"
)
#: A book edition's one-sentence note under the title: "这是毛泽东在…上的讲演。"
EDITORIAL_NOTE = re.compile(
    r"^(?:这是|本文是|这篇是)[^。！？]{4,80}"
    r"(?:讲演|演说|讲话|报告|讲稿|发言|谈话|文章|致辞|批语|书信)"
    r"(?:的?(?:节录|摘录|一部分|部分|节选|要点|主要部分))?。$"
)
#: "特此通知。" "特此报告。" "以上报告，请审议。" "谢谢大家！"
SIGN_OFF_PHRASE = re.compile(
    r"^(?:特此(?:通知|报告|公告|通告|函告|通报|批复|函|说明|证明|批示|决定)"
    r"|以上(?:报告|意见|请示|方案)[^。]{0,20}"
    r"|(?:谢谢|感谢)(?:大家|各位|您|你们)?(?:的聆听|的倾听)?"
    r"|此复|此致|敬礼)[。.!！]?$"
)
SIGNATURE = re.compile(r"^[^。！？；，,!?;：:]{2,30}$")

#: Document kinds a title ends with (used to join a title printed over two lines).
DOC_TYPE_END = re.compile(
    r"(?:通知|决定|意见|办法|规定|报告|请示|批复|函|公告|通告|通报|纪要|方案|规划|条例|细则|"
    r"决议|命令|议案|讲话|致辞|贺词|贺信|讲稿|发言|演讲|党课|报告会|的信|规则|守则|章程|"
    r"指引|指南|要点|计划|公报|白皮书|说明|措施|清单|标准|制度|机制)$"
)

#: Spoken structure markers of a lecture without written headings.
LECTURE_MARKER = re.compile(
    r"^(?:下面|现在|接下来|最后|第[一二三四五六七八九十]+)[，,、]?"
    r"(?:我|我们)?(?:再|想|就|着重|简要|重点|主要|和大家|同大家|跟大家|给大家|向大家)*"
    r"(?:讲一讲|讲讲|讲|谈一谈|谈谈|谈|说一说|说说|说|来讲|来谈|汇报|交流|分享|讨论)"
    r"|^[，,]?(?:第[一二三四五六七八九十]+个?(?:问题|方面|部分|层面|话题))[，,：:是]"
)


@dataclass(frozen=True)
class Line:
    text: str
    #: Heading rank (smaller = higher); None for a paragraph.
    rank: int | None
    numbered: bool


def shorten(text: str) -> str:
    text = text.strip()
    return text if len(text) <= TITLE_MAX_CHARS else text[:TITLE_MAX_CHARS] + "…"


def point_title(text: str) -> str:
    """First sentence (up to 。！？；!?; or a line break), cut to 30 characters + "…"."""
    for part in re.split(f"[{SENTENCE_END}\n]", text):
        if part.strip():
            return shorten(part)
    return shorten(text)


def marker_rank(text: str) -> int | None:
    """Rank index of the heading marker ``text`` starts with (0 = 第X部分 … 6 = （1）), or None."""
    for rank, pattern in enumerate(_HEADING_MARKERS):
        if pattern.match(text):
            return rank
    return None


def is_heading_line(text: str) -> bool:
    """A marker line short enough and without sentence stops to be a heading, not prose."""
    if len(text) > HEADING_LINE_MAX_CHARS or marker_rank(text) is None:
        return False
    if text[-1:] in "；;，,：:":
        return False  # an item of an enumeration ("（一）制定方案；"), not a heading
    body = text
    if text.endswith("。") and len(text) <= HEADING_TRAILING_STOP_MAX_CHARS and "：" not in text:
        body = text[:-1]
    return not any(ch in STRONG_STOPS for ch in body)


def is_numbered(text: str) -> bool:
    """Whether a paragraph starts with a point marker (一要 一是 第一， 首先， （一） 1. ①)."""
    return POINT_MARKER.match(text) is not None


def is_salutation_line(text: str) -> bool:
    """A short line ending in "：" such as "同志们：" / "各位领导、同志们：" (opening greeting)."""
    return (
        len(text) <= SALUTATION_MAX_CHARS
        and text[-1:] in ("：", ":")
        and not any(ch in SENTENCE_END for ch in text)
        and marker_rank(text) is None
    )


_EXCLAIMED = re.compile(
    r"^[^，。！？；：,.!?;:]{1,16}(?:先生|女士|同志|朋友|代表|来宾|阁下|们)[！!]$"
)


def is_exclaimed_salutation(text: str) -> bool:
    """ "主席先生！" / "女士们、先生们！" / "同志们！" alone on a line: it greets what follows."""
    return _EXCLAIMED.match(text) is not None


def is_addressee_line(text: str) -> bool:
    """A document's 主送机关 ("各乡镇人民政府，县直各单位：") or a speech's salutation."""
    return (
        (
            len(text) <= ADDRESSEE_MAX_CHARS
            or (len(text) <= LIST_ADDRESSEE_MAX_CHARS and text.count("、") >= LIST_ADDRESSEE_ITEMS)
        )
        and text[-1:] in ("：", ":")
        and not any(ch in SENTENCE_END or ch in "：:" for ch in text[:-1])
        and marker_rank(text) is None
    )


def starts_with_closing_salutation(text: str) -> bool:
    """A paragraph opening with "同志们，" / "同志们！" / "各位同志，" (closing remarks)."""
    return CLOSING_SALUTATION.match(text) is not None


def is_title_like(line: Line) -> bool:
    """Short, no sentence punctuation, not a heading: a title or a front-matter line."""
    text = line.text
    return (
        line.rank is None
        and not line.numbered
        and len(text) <= TITLE_LINE_MAX_CHARS
        and not any(ch in NO_TITLE_CHARS for ch in text)
        and text[-1:] not in ("，", ",")
        and marker_rank(text) is None
    )


def is_headline(line: Line) -> bool:
    """A first line that is a title although it holds "：" or "，" (a news headline such as
    "某某：未来五年…，要…"): no sentence stop, not ending in a comma or colon, no greeting."""
    text = line.text
    return is_title_like(line) or (
        line.rank is None
        and not line.numbered
        and len(text) <= HEADLINE_MAX_CHARS
        and any(ch in "：:，,【】— " for ch in text)
        and not any(ch in "。；;？?！!" for ch in text)
        and text[-1:] not in ("，", ",", "：", ":", "、")
        and marker_rank(text) is None
        and not starts_with_closing_salutation(text)
        and not text.startswith("大家好")
    )


def is_date_line(text: str) -> bool:
    return DATE_LINE.match(text.replace(" ", "")) is not None


_LETTER_SPACED = re.compile(r"^[\u4e00-\u9fff](?: +[\u4e00-\u9fff]){1,3}$")


def is_letter_spaced(text: str) -> bool:
    return _LETTER_SPACED.match(text) is not None


def is_bare_heading(text: str) -> bool:
    """A short line without sentence punctuation: a heading when it stands between paragraphs
    (also a letter-spaced one: "结　　论", "引　言")."""
    return (
        (len(text) >= 4 or _LETTER_SPACED.match(text) is not None)
        and len(text) <= BARE_HEADING_MAX_CHARS
        and not any(ch in "。！？；：!?;:，,、" for ch in text[:-1])
        and text[-1:] not in "。；：;:，,、…？?！!"
        and not is_date_line(text)
        and not SIGN_OFF_PHRASE.match(text)
        and marker_rank(text) is None
        and not is_numbered(text)
        and any("\u4e00" <= ch <= "\u9fff" for ch in text)
    )


def is_lecture_marker(text: str) -> bool:
    """A paragraph announcing its topic aloud ("下面，我讲第二个问题", "现在我来讲一讲…")."""
    return LECTURE_MARKER.match(text) is not None
