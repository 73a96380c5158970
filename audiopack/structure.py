"""Structure stage: Document blocks → Manuscript (title, opening, sections, closing; points).

The rules (issues #2 and #5) in short:

* title: an explicit title (docx "Title", single leading markdown ``#``) or a short first line
  without sentence punctuation; short "front matter" lines after it (subtitle, author, date)
  become the first point of the opening;
* headings: explicit levels (markdown/docx) rank above marker headings; marker kinds rank
  第X部分/篇 > 第X章/讲 > 第X节 > 一、 > （一） > 1. > （1）; the highest rank present gives the
  sections, lower ones are subsections whose heading line joins the following paragraph and
  whose points get the title prefix "<heading> · ";
* points: one per paragraph; numbered when it starts with a point marker (一要, 一是, 第一，,
  首先，, （一）, 1., （1）, ①…) or is an explicit list item;
* opening: everything before the first section, a salutation line ("同志们：") joined to the
  paragraph after it; closing: from a "同志们，" paragraph, or the paragraphs after the last
  numbered point, at the end of the last section;
* nothing is lost: every body character lands in exactly one point text or chapter heading.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from audiopack.errors import ManuscriptError
from audiopack.model import Chapter, Manuscript, Point
from audiopack.read import Block, Document, load_document

log = logging.getLogger(__name__)

OPENING_TITLE = "开场"
CLOSING_TITLE = "结束语"
#: Point titles and subsection prefixes longer than this are cut and get "…".
TITLE_MAX_CHARS = 30
TITLE_LINE_MAX_CHARS = 40
HEADING_LINE_MAX_CHARS = 60
#: A heading line this short may end in one "。" ("一、总体要求。").
HEADING_TRAILING_STOP_MAX_CHARS = 30
SALUTATION_MAX_CHARS = 20
SUBSECTION_SEPARATOR = " · "

_CN_NUM = "一二三四五六七八九十百零〇两"
_CN_SMALL = "一二三四五六七八九十"
#: Explicit (markdown/docx) levels rank above every marker kind: rank = level + this.
_EXPLICIT_RANK_OFFSET = -10

#: Marker heading kinds, highest rank first (the index is the rank).
_HEADING_MARKERS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"^第[{_CN_NUM}\d]+(?:部分|篇)"),
    re.compile(rf"^第[{_CN_NUM}\d]+(?:章|讲)"),
    re.compile(rf"^第[{_CN_NUM}\d]+节"),
    re.compile(rf"^[{_CN_NUM}]+[、．.]"),
    re.compile(rf"^[（(][{_CN_NUM}]+[）)]"),
    re.compile(r"^\d{1,2}(?:[、．]|\.(?!\d))"),
    re.compile(r"^[（(]\d{1,2}[）)]"),
)

_POINT_MARKER = re.compile(
    r"^(?:"
    rf"[{_CN_SMALL}]{{1,3}}(?:要|是|[、．.])"  # 一要 一是 一、
    rf"|第[{_CN_SMALL}]{{1,3}}[，,、：:]"  # 第一，
    r"|(?:首先|其次|再次|然后|最后)[，,]"
    rf"|[（(][{_CN_SMALL}]{{1,3}}[）)]"  # （一）
    r"|[（(]?\d{1,2}[）)]"  # （1） 1)
    r"|\d{1,2}(?:[、．]|\.(?!\d))"  # 1. 1、 1． but not 3.5%
    r"|[\u2460-\u2473\u2776-\u277f]"  # ①…⑳ ❶…❿
    r")"
)

_SENTENCE_END = "。！？；!?;"
_STRONG_STOPS = "。！？!?"
_NO_TITLE_CHARS = "。！？；：!?;:"

_GREETED = "(?:领导|同志|代表|委员|来宾|嘉宾|朋友|同学|老师|同仁)"
#: "同志们，" / "各位同志！" / "同志们、朋友们，" opening a closing paragraph.
_CLOSING_SALUTATION = re.compile(
    rf"^(?:各位{_GREETED}们?|{_GREETED}们)(?:、(?:各位)?{_GREETED}们?)*[，,！!]"
)


@dataclass(frozen=True)
class _Line:
    text: str
    #: Heading rank (smaller = higher); None for a paragraph.
    rank: int | None
    numbered: bool


@dataclass(frozen=True)
class _Pt:
    """A point under construction: keeps what closing detection and retitling need."""

    text: str
    own_title: str
    prefix: str | None
    numbered: bool
    #: Starts with a subsection heading line.
    is_heading: bool

    def point(self, *, with_prefix: bool = True) -> Point:
        title = self.own_title
        if with_prefix and self.prefix:
            title = f"{self.prefix}{SUBSECTION_SEPARATOR}{title}"
        return Point(title=title, text=self.text, numbered=self.numbered)


# --------------------------------------------------------------------------- line tests


def _shorten(text: str) -> str:
    text = text.strip()
    return text if len(text) <= TITLE_MAX_CHARS else text[:TITLE_MAX_CHARS] + "…"


def point_title(text: str) -> str:
    """First sentence (up to 。！？；!?; or a line break), cut to 30 characters + "…"."""
    for part in re.split(f"[{_SENTENCE_END}\n]", text):
        if part.strip():
            return _shorten(part)
    return _shorten(text)


def marker_rank(text: str) -> int | None:
    """Rank of the heading marker ``text`` starts with (0 = 第X部分 … 6 = （1）), or None."""
    for rank, pattern in enumerate(_HEADING_MARKERS):
        if pattern.match(text):
            return rank
    return None


def is_heading_line(text: str) -> bool:
    """A marker line short enough and without sentence stops to be a heading, not prose."""
    if len(text) > HEADING_LINE_MAX_CHARS or marker_rank(text) is None:
        return False
    body = text
    if text.endswith("。") and len(text) <= HEADING_TRAILING_STOP_MAX_CHARS:
        body = text[:-1]
    return not any(ch in _STRONG_STOPS for ch in body)


def is_numbered(text: str) -> bool:
    """Whether a paragraph starts with a point marker (一要 一是 第一， 首先， （一） 1. ①)."""
    return _POINT_MARKER.match(text) is not None


def is_salutation_line(text: str) -> bool:
    """A short line ending in "：" such as "同志们：" / "各位领导、同志们：" (opening greeting)."""
    return (
        len(text) <= SALUTATION_MAX_CHARS
        and text[-1:] in ("：", ":")
        and not any(ch in _SENTENCE_END for ch in text)
        and marker_rank(text) is None
    )


def starts_with_closing_salutation(text: str) -> bool:
    """A paragraph opening with "同志们，" / "同志们！" / "各位同志，" (closing remarks)."""
    return _CLOSING_SALUTATION.match(text) is not None


def _is_title_like(line: _Line) -> bool:
    """Short, no sentence punctuation, not a heading: a title or a front-matter line."""
    text = line.text
    return (
        line.rank is None
        and not line.numbered
        and len(text) <= TITLE_LINE_MAX_CHARS
        and not any(ch in _NO_TITLE_CHARS for ch in text)
        and text[-1:] not in ("，", ",")
        and marker_rank(text) is None
    )


def _heading_rank(block: Block) -> int | None:
    if block.heading_level is not None:
        return block.heading_level + _EXPLICIT_RANK_OFFSET
    if block.numbered:
        return None  # an explicit list item is a point even if it looks like a heading
    return marker_rank(block.text) if is_heading_line(block.text) else None


def _section_rank(lines: list[_Line]) -> int:
    """The heading rank that makes sections: the highest one present, unless that occurs only
    once *after* a repeated lower kind has started (then it is a stray line, not the frame)."""
    ranks = [line.rank for line in lines if line.rank is not None]
    counts = Counter(ranks)
    top = min(counts)
    if counts[top] > 1:
        return top
    repeated = sorted(rank for rank, n in counts.items() if n > 1)
    if repeated and ranks.index(repeated[0]) < ranks.index(top):
        return repeated[0]
    return top


# --------------------------------------------------------------------------- points


def _points(lines: list[_Line], *, salutations: bool) -> list[_Pt]:
    """Paragraphs → points; heading lines here are subsections (joined to the next paragraph)."""
    out: list[_Pt] = []
    prefix: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        numbered = line.numbered or is_numbered(line.text)
        if line.rank is not None:
            prefix = _shorten(line.text)
            if nxt is not None and nxt.rank is None:
                text = f"{line.text}\n{nxt.text}"
                out.append(_Pt(text, point_title(nxt.text), prefix, numbered, is_heading=True))
                i += 2
            else:
                # Nothing to attach to: the heading is a point by itself so its text is kept.
                out.append(_Pt(line.text, point_title(line.text), None, numbered, is_heading=True))
                i += 1
            continue
        if salutations and is_salutation_line(line.text) and nxt is not None and nxt.rank is None:
            # "同志们：" alone is no point; it belongs to what follows, which gives the title.
            nxt_numbered = nxt.numbered or is_numbered(nxt.text)
            text = f"{line.text}\n{nxt.text}"
            out.append(_Pt(text, point_title(nxt.text), prefix, nxt_numbered, is_heading=False))
            i += 2
            continue
        out.append(_Pt(line.text, point_title(line.text), prefix, numbered, is_heading=False))
        i += 1
    return out


def _split_closing(points: list[_Pt]) -> tuple[list[_Pt], list[_Pt]]:
    """Cut the closing remarks off the last section's points: (section points, closing)."""
    numbered = [k for k, p in enumerate(points) if p.numbered]
    last = numbered[-1] if numbered else None
    start = last + 1 if last is not None else 1  # keep at least one point in the section

    def tail_ok(k: int) -> bool:
        # A closing holds no subsection; a heading after the cut means we are still inside.
        return not any(p.is_heading for p in points[k:])

    for k in range(start, len(points)):
        if starts_with_closing_salutation(points[k].text) and tail_ok(k):
            return points[:k], points[k:]
    if (
        last is not None
        and last + 1 < len(points)
        and not points[last].is_heading
        and tail_ok(last + 1)
    ):
        return points[: last + 1], points[last + 1 :]
    sign_off = _sign_off_start(points)
    if sign_off is not None and sign_off >= 1 and tail_ok(sign_off):
        return points[:sign_off], points[sign_off:]
    return points, []


_SIGN_OFF_PHRASE = re.compile(
    r"^(特此(通知|报告|公告|函告|通报|批复|函)|以上(报告|意见)[^。]*)[。.!！]?$"
)
_DATE_LINE = re.compile(
    r"^[（(]?(\d{4}|[一二三四五六七八九〇零○]{4})年[\d一二三四五六七八九十]{1,3}月"
    r"[\d一二三四五六七八九十]{1,3}日[）)]?$"
)
_SIGNATURE = re.compile(r"^[^。！？；，,!?;]{2,30}$")


def _sign_off_start(points: list[_Pt]) -> int | None:
    """Where a document's sign-off block starts ("特此通知。", the issuer, the date), if it
    ends with one: these lines close a notice or report whose last section has no numbered
    points."""
    start = len(points)
    anchored = False
    for k in range(len(points) - 1, -1, -1):
        text = points[k].text.strip()
        if _SIGN_OFF_PHRASE.match(text) or _DATE_LINE.match(text):
            anchored = True
        elif not (_SIGNATURE.match(text) and not points[k].numbered and not points[k].is_heading):
            break
        start = k
    return start if anchored and start < len(points) else None


# --------------------------------------------------------------------------- parse


def parse(document: Document, *, title: str | None = None, fallback_title: str) -> Manuscript:
    """Build the Manuscript of ``document``.

    ``title`` (the --title option) overrides any detected title; the detected title line then
    stays in the text as the first front-matter line. ``fallback_title`` (the file stem) is
    used when neither exists. Raises ManuscriptError when there is nothing to speak.
    """
    lines = [
        _Line(b.text.strip(), _heading_rank(b), b.numbered)
        for b in document.blocks
        if b.text.strip()
    ]
    found_title = document.title.strip() if document.title and document.title.strip() else None
    body = lines
    # A lone short line is the text itself, not a title over nothing.
    if found_title is None and len(lines) > 1 and _is_title_like(lines[0]):
        found_title = lines[0].text
        body = lines[1:]

    front: list[str] = []
    if found_title is not None:
        if title is not None and title.strip():
            front.append(found_title)
        while body and _is_title_like(body[0]):
            front.append(body.pop(0).text)
    front_points = (
        [_Pt("\n".join(front), point_title(front[0]), None, False, is_heading=False)]
        if front
        else []
    )
    manuscript_title = (
        title.strip() if title is not None and title.strip() else found_title or fallback_title
    )

    chapters: list[Chapter] = []
    if all(line.rank is None for line in body):
        points = front_points + _points(body, salutations=True)
        if points:
            chapters.append(Chapter("section", manuscript_title, _finish(points), heading=""))
    else:
        chapters = _chapters(body, front_points)

    speakable = any(
        any(ch.isalnum() for ch in chapter.heading + "".join(p.text for p in chapter.points))
        for chapter in chapters
    )
    if not speakable:
        raise ManuscriptError(
            f"{document.source} has no text to speak after the title: add the manuscript body"
        )
    log.info(
        "%s: title %r, %d chapters, %d points",
        document.source,
        manuscript_title,
        len(chapters),
        sum(len(c.points) for c in chapters),
    )
    return Manuscript(title=manuscript_title, chapters=tuple(chapters))


def _finish(points: list[_Pt], *, with_prefix: bool = True) -> tuple[Point, ...]:
    return tuple(p.point(with_prefix=with_prefix) for p in points)


def _chapters(body: list[_Line], front_points: list[_Pt]) -> list[Chapter]:
    section_rank = _section_rank(body)
    starts = [
        k for k, line in enumerate(body) if line.rank is not None and line.rank <= section_rank
    ]
    chapters: list[Chapter] = []
    opening = front_points + _points(body[: starts[0]], salutations=True)
    if opening:
        chapters.append(Chapter("opening", OPENING_TITLE, _finish(opening), heading=""))
    closing: list[_Pt] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(body)
        heading = body[start].text
        points = _points(body[start + 1 : end], salutations=False)
        if n == len(starts) - 1:
            points, closing = _split_closing(points)
        chapters.append(Chapter("section", heading, _finish(points), heading=heading))
    if closing:
        # The closing is outside any subsection: its titles lose the subsection prefix.
        chapters.append(
            Chapter("closing", CLOSING_TITLE, _finish(closing, with_prefix=False), heading="")
        )
    return chapters


def load_manuscript(path: Path, title: str | None = None) -> Manuscript:
    """Read ``path`` (.txt/.md/.docx) and parse it; the file stem is the fallback title."""
    return parse(load_document(path), title=title, fallback_title=path.stem)
