"""Document blocks -> Manuscript: header, title, opening, sections, closing, attachments."""

from __future__ import annotations

import logging
import re
from collections import Counter

from audiopack.errors import ManuscriptError
from audiopack.model import Chapter, ChapterKind, DocumentParts, Manuscript
from audiopack.text.read import Block, Document
from audiopack.text.structure.closing import add_sign_off, split_closing, split_unstructured_closing
from audiopack.text.structure.context import bare_headings, enumerations, rejoin
from audiopack.text.structure.document import Tail, take_doc_number, take_header, take_tail
from audiopack.text.structure.lines import (
    DATED_LINE,
    DOC_TYPE_END,
    EDITORIAL_NOTE,
    META_LINE,
    RANK_STEP,
    Line,
    is_addressee_line,
    is_date_line,
    is_heading_line,
    is_headline,
    is_lecture_marker,
    is_letter_spaced,
    is_title_like,
    marker_rank,
    point_title,
)
from audiopack.text.structure.points import SUBSECTION_SEPARATOR, Pt, finish, make_points, plain
from audiopack.text.structure.split import split_points

log = logging.getLogger(__name__)

OPENING_TITLE = "开场"
CLOSING_TITLE = "结束语"
#: Explicit (markdown/docx) levels rank above every marker kind.
_EXPLICIT_RANK_OFFSET = -100
#: A title printed over several lines is joined over at most this many.
_TITLE_MAX_LINES = 4
#: A text needs this many spoken structure markers to be cut at them.
_MIN_LECTURE_MARKERS = 2
#: A marker paragraph this short (one sentence) is the section's heading.
_LECTURE_HEADING_MAX_CHARS = 40
_GREETING = re.compile(r"同志|代表|朋友|来宾|嘉宾|同学|老师|委员们|领导们|大家|女士|先生")


def _heading_rank(block: Block) -> int | None:
    if block.heading_level is not None:
        return block.heading_level + _EXPLICIT_RANK_OFFSET
    if block.numbered:
        return None  # an explicit list item is a point even if it looks like a heading
    rank = marker_rank(block.text) if is_heading_line(block.text) else None
    return None if rank is None else rank * RANK_STEP


def _title_lines(lines: list[Line]) -> int:
    """How many leading lines make the title: one, or a title printed over several lines
    ("关于印发《…》的" / "通知") that only together end in a document kind."""
    if not lines or not is_headline(lines[0]):
        return 0
    joined = lines[0].text
    if DOC_TYPE_END.search(joined):
        return 1
    for n in range(1, min(_TITLE_MAX_LINES, len(lines))):
        text = lines[n].text
        if (
            not is_title_like(lines[n])
            or is_date_line(text)
            or text.startswith(("—", "-", "(", "（"))
        ):
            break
        joined += lines[n].text
        if DOC_TYPE_END.search(joined):
            return n + 1
    return 1


def _section_rank(lines: list[Line]) -> int:
    """The heading rank that makes sections: the highest one present when it repeats, else
    the highest kind that repeats (a single higher heading is a part heading over them, or a
    stray line), else the only one."""
    counts = Counter(line.rank for line in lines if line.rank is not None)
    top = min(counts)
    if counts[top] > 1:
        return top
    repeated = sorted(rank for rank, n in counts.items() if n > 1)
    return repeated[0] if repeated else top


def parse(
    document: Document,
    *,
    title: str | None = None,
    fallback_title: str,
    read_boilerplate: bool = False,
    split: float | None = None,
) -> Manuscript:
    """Build the Manuscript of ``document``.

    ``title`` (the --title option) overrides any detected title; the detected title line then
    stays in the text as the first front-matter line. ``fallback_title`` (the file stem) is
    used when neither exists. ``read_boilerplate`` speaks the 版头, 附注 and 版记 (else they are
    only in ``Manuscript.document``); ``split``: minutes above which a chapter is divided.
    Raises ManuscriptError when there is nothing to speak.
    """
    lines = [
        Line(b.text.strip(), _heading_rank(b), b.numbered)
        for b in document.blocks
        if b.text.strip()
    ]
    lines = rejoin(enumerations(lines))
    parts, header, lines = take_header(lines)
    found_title = document.title.strip() if document.title and document.title.strip() else None
    body = lines
    title_texts: list[str] = []
    # A lone short line is the text itself, not a title over nothing.
    if found_title is None and len(lines) > 1:
        n = _title_lines(lines)
        if n and n < len(lines):
            title_texts = [line.text for line in lines[:n]]
            found_title = "".join(title_texts)
            body = lines[n:]

    # A docx title printed over two Title paragraphs ("…建设" / "试点工作方案的通知").
    if (
        document.title
        and body
        and not DOC_TYPE_END.search(found_title or "")
        and is_title_like(body[0])
        and DOC_TYPE_END.search(f"{found_title}{body[0].text}")
    ):
        title_texts = [found_title or "", body[0].text]
        found_title = "".join(title_texts)
        body = body[1:]
    number, body = take_doc_number(body, parts)
    header += number
    front: list[str] = []
    if found_title is not None:
        if title is not None and title.strip():
            front.extend(title_texts or [found_title])
        while (
            body
            and len(body) > 1
            and not is_letter_spaced(body[0].text)
            and (
                is_title_like(body[0])
                or META_LINE.match(body[0].text)
                or DATED_LINE.match(body[0].text)
            )
        ):
            front.append(body.pop(0).text)
        if front and len(body) > 1 and EDITORIAL_NOTE.match(body[0].text):
            front.append(body.pop(0).text)
    _name_front(front[len(title_texts) if title else 0 :], parts)
    if body and is_addressee_line(body[0].text) and not _GREETING.search(body[0].text):
        parts["addressee"] = body[0].text
    manuscript_title = (
        title.strip() if title is not None and title.strip() else found_title or fallback_title
    )

    tail, body = take_tail(body)
    for key, value in tail.parts.items():
        if key in ("signature", "date") or key not in parts:
            parts[key] = value
    front_points = (
        [Pt("\n".join(front), point_title(front[0]), None, False, False)] if front else []
    )
    if header and read_boilerplate:
        front_points.insert(0, plain("\n".join(header)))
    sign_off = tail.sign_off + (tail.notes if read_boilerplate else [])
    body = bare_headings(body)
    if any(line.rank is not None for line in body):
        chapters = _chapters(body, front_points, sign_off, split)
    else:
        chapters = _unstructured(body, front_points, sign_off, manuscript_title, split)
    chapters += _attachments(tail, split)
    unspoken: list[str] = []
    if read_boilerplate:
        if tail.imprint:
            chapters.append(Chapter("closing", "版记", (plain("\n".join(tail.imprint)).point(),)))
    else:
        unspoken = header + tail.notes + tail.imprint
    unspoken += tail.rules

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
    return Manuscript(
        title=manuscript_title,
        chapters=tuple(chapters),
        document=DocumentParts(**parts),
        unspoken=tuple(unspoken),
    )


def _name_front(front: list[str], parts: dict[str, str]) -> None:
    """The speaker and date lines under a title (subtitles and sources have no element)."""
    for text in front:
        if is_date_line(text):
            parts.setdefault("date", text)
        elif not text.startswith(("—", "-", "来源", "出处", "作者", "《")) and len(text) <= 30:
            parts.setdefault("signature", text)


def _opening(front_points: list[Pt], points: list[Pt]) -> list[Pt]:
    """Front matter, then the opening's paragraphs; a date alone under the title is no point
    of its own: it joins the paragraph after it."""
    if front_points and points and not points[0].is_heading:
        lines = front_points[-1].text.split("\n")
        if all(is_date_line(line) for line in lines):
            first = points[0]
            joined = Pt(f"{front_points[-1].text}\n{first.text}", first.own_title, first.prefix,
                        first.numbered, False)  # fmt: skip
            return [*front_points[:-1], joined, *points[1:]]
    return front_points + points


def _sections(
    heading: str, title: str, points: list[Pt], split: float | None, kind: ChapterKind = "section"
) -> list[Chapter]:
    """One chapter, or several when --split divides it (the first keeps the spoken heading)."""
    out: list[Chapter] = []
    for n, (part_title, part) in enumerate(split_points(title, points, split)):
        out.append(Chapter(kind, part_title, finish(part), heading=heading if n == 0 else ""))
    return out


def _chapters(
    body: list[Line], front_points: list[Pt], sign_off: list[str], split: float | None
) -> list[Chapter]:
    section_rank = _section_rank(body)
    starts = [
        k for k, line in enumerate(body) if line.rank is not None and line.rank <= section_rank
    ]
    chapters: list[Chapter] = []
    opening = _opening(
        front_points, make_points(body[: starts[0]], salutations=True, addressee=True)
    )
    above: list[str] = []
    if len(opening) == 1 and all(is_date_line(t) for t in opening[0].text.split("\n")):
        above, opening = [opening[0].text], []  # a date alone: spoken with the first heading
    if opening:
        chapters.append(Chapter("opening", OPENING_TITLE, finish(opening), heading=""))
    closing: list[Pt] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(body)
        line = body[start]
        if (
            end == start + 1
            and line.rank is not None
            and line.rank < section_rank
            and end < len(body)
        ):
            above.append(line.text)  # a part heading right over a section: it titles that one
            continue
        heading = "\n".join([*above, line.text])
        # The part heading over it is shown in its title too (a date over it is the date's).
        title = SUBSECTION_SEPARATOR.join(
            [*(text for text in above if not is_date_line(text)), line.text]
        )
        above = []
        points = make_points(body[start + 1 : end], salutations=False)
        if n == len(starts) - 1:
            points, closing = add_sign_off(*split_closing(points), sign_off)
        chapters += _sections(heading, title, points, split)
    if closing:
        # The closing is outside any subsection: its titles lose the subsection prefix.
        chapters.append(
            Chapter("closing", CLOSING_TITLE, finish(closing, with_prefix=False), heading="")
        )
    return chapters


def _unstructured(
    body: list[Line],
    front_points: list[Pt],
    sign_off: list[str],
    title: str,
    split: float | None,
) -> list[Chapter]:
    """No written headings: sections at spoken structure markers when the text has them, else
    one opening chapter named after the document; the closing split off in both cases."""
    points = make_points(body, salutations=True, addressee=True)
    markers = [k for k, p in enumerate(points) if k > 0 and is_lecture_marker(p.text)]
    if len(markers) >= _MIN_LECTURE_MARKERS:
        return _lecture(front_points, points, markers, sign_off, split)
    body_points, closing = split_unstructured_closing(points)
    everything, closing = add_sign_off(_opening(front_points, body_points), closing, sign_off)
    chapters: list[Chapter] = []
    if everything:
        chapters = _sections("", title, everything, split, kind="opening")
    if closing:
        chapters.append(Chapter("closing", CLOSING_TITLE, finish(closing), heading=""))
    return chapters


def _lecture(
    front_points: list[Pt],
    points: list[Pt],
    markers: list[int],
    sign_off: list[str],
    split: float | None,
) -> list[Chapter]:
    chapters: list[Chapter] = []
    opening = _opening(front_points, points[: markers[0]])
    if opening:
        chapters.append(Chapter("opening", OPENING_TITLE, finish(opening), heading=""))
    closing: list[Pt] = []
    for n, start in enumerate(markers):
        end = markers[n + 1] if n + 1 < len(markers) else len(points)
        section = points[start:end]
        if n == len(markers) - 1:
            section, closing = split_closing(section)
        heading = ""
        first = section[0].text
        if len(section) > 1 and len(first) <= _LECTURE_HEADING_MAX_CHARS and "\n" not in first:
            # "现在我来讲一讲主观主义。" alone: the section's spoken heading, not a point
            heading, section = first, section[1:]
        if n == len(markers) - 1:
            section, closing = add_sign_off(section, closing, sign_off)
        chapters += _sections(heading, point_title(first), section, split)
    if closing:
        chapters.append(Chapter("closing", CLOSING_TITLE, finish(closing), heading=""))
    return chapters


def _attachments(tail: Tail, split: float | None) -> list[Chapter]:
    """Each 附件 its own chapter: its label and title are the heading, its body the points."""
    chapters: list[Chapter] = []
    for label, title, block in tail.attachments:
        heading = "\n".join(part for part in (label, title) if part)
        points = make_points(block, salutations=False)
        if not points:
            points, heading = [plain(heading)], ""
        chapters += _sections(heading, title or label, points, split, kind="attachment")
    return chapters
