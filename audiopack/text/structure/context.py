"""Lines in their context: mend what copying broke (paragraphs split at a subscript or a
bold run, lead lines over their paragraphs), tell enumeration items from headings, and rank
unnumbered headings by the lines around them."""

from __future__ import annotations

import re

from audiopack.text.structure.lines import (
    EDITORIAL_NOTE,
    RANK_STEP,
    Line,
    is_addressee_line,
    is_bare_heading,
    is_numbered,
    marker_rank,
    starts_with_closing_salutation,
)


def enumerations(lines: list[Line]) -> list[Line]:
    """ "（三）其他情形。" after "…下列情形之一的：" / "（二）…；" is the last item of a list, not a
    heading."""
    out = list(lines)
    for k in range(1, len(lines)):
        line = lines[k]
        rank = line.rank
        if (
            rank is not None
            and rank >= 0
            and line.text[-1:] in "。."
            and out[k - 1].text[-1:] in "：:；;"
        ):
            out[k] = Line(line.text, None, line.numbered)
    return out


#: A paragraph broken by a subscript or bold run when copied: "…PM" / "2.5" / "年平均…", or
#: "…发展的" / "主要目标" / "是：…".
_CONTINUES = re.compile(r"^(?:[\d.]{1,5}$|是[:：]|为[:：])")
_LEAD_MAX_CHARS = 30
_LEAD_NEXT_MIN_CHARS = 80
_BOLD_RUN_MAX_CHARS = 12
#: An addressee line this long ending in a Han character without a stop was broken by the page.
_BROKEN_MIN_CHARS = 80
#: A numbered term of a glossary (名词解释): "1.“四上”企业：".
_DEFINED_TERM = re.compile(r"^\d{1,3}[.．、]\s*[“\"][^”\"]{1,20}[”\"][^。：:]{0,10}[：:]$")


def rejoin(lines: list[Line]) -> list[Line]:
    """Mend paragraphs that copying broke into lines, and put a lead line ("一是…。",
    "这是…的五年。") on the paragraph it leads."""
    out: list[Line] = []
    for line in lines:
        prev = out[-1] if out else None
        if prev is not None and prev.rank is None and line.rank is None and len(out) > 1:
            broken = (
                _CONTINUES.match(line.text)
                or (
                    re.search(r"[A-Za-z\d]$", prev.text)
                    and (re.match(r"^[\d.]{1,5}$", line.text) or len(prev.text) > _LEAD_MAX_CHARS)
                    and not is_numbered(line.text)
                )
                # an addressee list cut mid-word ("…上海浦东" / "发展银行、…分行："); a long
                # paragraph cut so may be a copy's truncation before a caption: left alone
                or (
                    len(prev.text) >= _BROKEN_MIN_CHARS
                    and re.search(r"[\u4e00-\u9fff]$", prev.text)
                    and is_addressee_line(prev.text + line.text)
                )
            )
            if broken and not prev.text.endswith(("。", "！", "？", "；", "：")):
                out[-1] = Line(prev.text + line.text, None, prev.numbered)
                before = out[-2] if len(out) > 2 else None
                if (
                    _CONTINUES.match(line.text)
                    and before is not None
                    and before.rank is None
                    and before.text.endswith("的")
                    and len(prev.text) <= _BOLD_RUN_MAX_CHARS
                ):
                    # "…发展的" / "主要目标" / "是：…": a bold run broke one paragraph in three
                    out[-2:] = [Line(before.text + out[-1].text, None, before.numbered)]
                continue
            if _leads(prev.text, line.text):
                out[-1] = Line(f"{prev.text}\n{line.text}", None, prev.numbered)
                continue
        out.append(line)
    return out


def _leads(text: str, nxt: str) -> bool:
    """ "一是…。" / "这是…的五年。" alone on a line over a long paragraph: its run-in title;
    "1.“四上”企业：" over its definition."""
    if _DEFINED_TERM.match(text) and len(text) <= _LEAD_MAX_CHARS:
        return not is_numbered(nxt) and marker_rank(nxt) is None
    return (
        len(text) <= _LEAD_MAX_CHARS
        and text.endswith("。")
        and sum(text.count(ch) for ch in "。！？") == 1
        and (is_numbered(text) or text.startswith("这是"))
        and not EDITORIAL_NOTE.match(text)
        and len(nxt) >= max(_LEAD_NEXT_MIN_CHARS, 3 * len(text))
        and not is_numbered(nxt)
        and not starts_with_closing_salutation(nxt)
        and "\n" not in text
    )


def bare_headings(body: list[Line]) -> list[Line]:
    """Give unnumbered headings (a short line without sentence punctuation between
    paragraphs) a rank: above the marker heading right after it (a part heading), else, when
    the text has two or more of them, as sections (no markers) or subsections (markers)."""

    def paragraph(k: int) -> bool:
        return 0 <= k < len(body) and body[k].rank is None and not is_bare_heading(body[k].text)

    candidates = [
        k
        for k, line in enumerate(body)
        if line.rank is None
        and not line.numbered
        and is_bare_heading(line.text)
        and k + 1 < len(body)
        and (k == 0 or paragraph(k - 1) or body[k - 1].rank is not None)
    ]
    marked = [k for k, line in enumerate(body) if line.rank is not None and line.rank >= 0]
    out = list(body)
    spread = [k for k in candidates if paragraph(k + 1)]
    # Bare headings that start before the first marker heading are parts over the markers.
    parts = bool(marked) and len(spread) >= 2 and spread[0] < marked[0]
    top = min((body[k].rank or 0 for k in marked), default=0)
    for k in candidates:
        after = body[k + 1].rank
        rank: int | None = None
        if after is not None and after >= 0:
            rank = after - RANK_STEP // 2  # a part heading over numbered sections
        elif len(spread) >= 2 and k in spread:
            before = [body[j].rank for j in marked if j < k]
            if not marked or parts:
                rank = top - RANK_STEP // 2
            elif before:
                rank = (before[-1] or 0) + RANK_STEP // 2
        if rank is not None:
            out[k] = Line(body[k].text, rank, False)
    return out
