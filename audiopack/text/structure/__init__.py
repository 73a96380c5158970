"""Structure stage: Document blocks -> Manuscript (title, opening, sections, closing,
attachments; points; the GB/T 9704 elements of an official document).

The rules in short (README "Manuscripts" has the full list):

* 版头 (份号, 密级, 紧急程度, "××××文件", 发文字号, 签发人) at the top and 版记 (抄送, 印发) at the
  end are boilerplate: kept in ``Manuscript.document`` and spoken only with read_boilerplate;
* title: an explicit title, or a short first line (a headline may hold "：" "，"), joined when
  printed over several lines; subtitle/author/date lines after it are the opening's first point;
* headings: explicit levels (markdown/docx) rank above marker headings; marker kinds rank
  第X部分/篇 > 第X章/讲 > 第X节 > 一、 > （一） > 1. > （1）; unnumbered short lines between
  paragraphs rank by context; the highest rank present gives the sections, lower ones are
  subsections whose heading line joins the following paragraph and prefixes point titles;
* no headings: sections at spoken structure markers (下面讲第二个问题), else one opening chapter
  named after the document; the closing and sign-off split off in every case;
* 附件 after the sign-off: each its own chapter of kind ``attachment``;
* nothing is lost: every body character lands in exactly one point text, chapter heading, the
  title or ``Manuscript.unspoken``.
"""

from __future__ import annotations

from pathlib import Path

from audiopack.model import Manuscript
from audiopack.text.read import load_document
from audiopack.text.structure.lines import (
    is_heading_line,
    is_numbered,
    is_salutation_line,
    marker_rank,
    point_title,
    starts_with_closing_salutation,
)
from audiopack.text.structure.parse import CLOSING_TITLE, OPENING_TITLE, parse
from audiopack.text.structure.split import split_minutes

__all__ = [
    "CLOSING_TITLE",
    "OPENING_TITLE",
    "is_heading_line",
    "is_numbered",
    "is_salutation_line",
    "load_manuscript",
    "marker_rank",
    "parse",
    "point_title",
    "split_minutes",
    "starts_with_closing_salutation",
]


def load_manuscript(
    path: Path,
    title: str | None = None,
    *,
    read_boilerplate: bool = False,
    split: str | float | None = "auto",
) -> Manuscript:
    """Read ``path`` (.txt/.md/.docx) and parse it; the file stem is the fallback title.

    ``split``: "auto", "off" or minutes (see split_minutes)."""
    return parse(
        load_document(path),
        title=title,
        fallback_title=path.stem,
        read_boilerplate=read_boilerplate,
        split=split_minutes(split),
    )
