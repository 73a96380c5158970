"""Paragraph lines -> points: subsection headings join the paragraph after them and prefix
the titles of the points under them; a salutation joins the paragraph after it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiopack.model import Point
from audiopack.text.structure.lines import (
    CN_NUM,
    Line,
    is_addressee_line,
    is_date_line,
    is_exclaimed_salutation,
    is_numbered,
    is_salutation_line,
    point_title,
    shorten,
)

SUBSECTION_SEPARATOR = " · "


@dataclass(frozen=True)
class Pt:
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

    def joined(self, text: str) -> Pt:
        """This point with ``text`` (a sign-off, "谢谢大家！") added as its last line."""
        return Pt(f"{self.text}\n{text}", self.own_title, self.prefix, self.numbered,
                  self.is_heading)  # fmt: skip


def plain(text: str) -> Pt:
    return Pt(text, point_title(text), None, False, is_heading=False)


def make_points(lines: list[Line], *, salutations: bool, addressee: bool = False) -> list[Pt]:
    """Paragraphs -> points; heading lines here are subsections (joined to the next paragraph).

    ``addressee``: the first line may be a long 主送机关 line ending in "：" (a document's).
    """
    out: list[Pt] = []
    prefix: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        numbered = line.numbered or is_numbered(line.text)
        if line.rank is not None:
            prefix = shorten(line.text)
            if nxt is not None and nxt.rank is None:
                text = f"{line.text}\n{nxt.text}"
                out.append(Pt(text, point_title(nxt.text), prefix, numbered, is_heading=True))
                i += 2
            else:
                # Nothing to attach to: the heading is a point by itself so its text is kept.
                out.append(Pt(line.text, point_title(line.text), None, numbered, is_heading=True))
                i += 1
            continue
        greeting = (
            is_date_line(line.text)
            or is_exclaimed_salutation(line.text)
            or (
                salutations
                and (
                    is_salutation_line(line.text)
                    or (addressee and i == 0 and is_addressee_line(line.text))
                )
            )
        )
        if is_date_line(line.text) and out and (nxt is None or nxt.rank is not None):
            out[-1] = out[-1].joined(line.text)  # a date closing a passage is no point
            i += 1
            continue
        if greeting and nxt is not None and nxt.rank is None:
            # "同志们：" alone is no point; it belongs to what follows, which gives the title.
            nxt_numbered = nxt.numbered or is_numbered(nxt.text)
            text = f"{line.text}\n{nxt.text}"
            out.append(Pt(text, point_title(nxt.text), prefix, nxt_numbered, is_heading=False))
            i += 2
            continue
        out.append(Pt(line.text, point_title(line.text), prefix, numbered, is_heading=False))
        i += 1
    return merge_articles(out)


_ARTICLE = re.compile(rf"^第[{CN_NUM}\d]{{1,5}}条")


def _article(p: Pt) -> bool:
    """Whether the point's paragraph (after its subsection heading line, if any) is an article."""
    return _ARTICLE.match(p.text.split("\n", 1)[-1] if p.is_heading else p.text) is not None


def merge_articles(points: list[Pt]) -> list[Pt]:
    """In a regulation (第一条 … 第十七条) one point per article: the paragraphs and items
    after an article's first paragraph belong to it."""
    if sum(1 for p in points if _article(p)) < 2:
        return points
    out: list[Pt] = []
    in_article = False
    for p in points:
        if out and in_article and not p.is_heading and not _article(p):
            out[-1] = out[-1].joined(p.text)
        else:
            out.append(p)
            in_article = _article(p)
    return out


def finish(points: list[Pt], *, with_prefix: bool = True) -> tuple[Point, ...]:
    return tuple(p.point(with_prefix=with_prefix) for p in points)
