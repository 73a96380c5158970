"""Outline of a parsed Manuscript: a JSON-ready dict and a readable terminal tree."""

from __future__ import annotations

from typing import Any

from audiopack.model import Chapter, Manuscript

#: Characters shown of each point in the terminal tree.
PREVIEW_CHARS = 20


def outline_dict(m: Manuscript) -> dict[str, Any]:
    """{"title", "chapters": [{"kind", "title", "points": [{"title", "text"}]}]}, in that order,
    and "document" (the GB/T 9704 elements found, see DocumentParts) when there are any."""
    out: dict[str, Any] = {
        "title": m.title,
        "chapters": [
            {
                "kind": chapter.kind,
                "title": chapter.title,
                "points": [{"title": p.title, "text": p.text} for p in chapter.points],
            }
            for chapter in m.chapters
        ],
    }
    document = m.document.as_dict()
    if document:
        out["document"] = document
    return out


def spoken_chars(chapter: Chapter) -> int:
    """Non-whitespace characters spoken in a chapter: its heading and all point texts."""
    text = chapter.heading + "".join(p.text for p in chapter.points)
    return sum(1 for ch in text if not ch.isspace())


def _mmss(chars: int, chars_per_second: float) -> str:
    seconds = round(chars / chars_per_second) if chars_per_second > 0 else 0
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[:PREVIEW_CHARS] + "…"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def outline_text(m: Manuscript, chars_per_second: float = 4.0) -> str:
    """A tree for the terminal: one line per chapter, one per point (first ~20 characters).

    Durations are estimates at ``chars_per_second`` (mm:ss), not measured audio.
    """
    total_chars = sum(spoken_chars(c) for c in m.chapters)
    total_points = sum(len(c.points) for c in m.chapters)
    lines = [
        f"{m.title}  ({_count(len(m.chapters), 'chapter')}, {_count(total_points, 'point')}, "
        f"{_count(total_chars, 'char')}, ~{_mmss(total_chars, chars_per_second)})"
    ]
    width = len(str(len(m.chapters)))
    for index, chapter in enumerate(m.chapters, start=1):
        chars = spoken_chars(chapter)
        lines.append(
            f"{index:>{width}}. [{chapter.kind}] {chapter.title}  "
            f"({_count(len(chapter.points), 'point')}, {_count(chars, 'char')}, "
            f"~{_mmss(chars, chars_per_second)})"
        )
        for number, point in enumerate(chapter.points, start=1):
            mark = "#" if point.numbered else "-"
            lines.append(f"{' ' * (width + 2)}{index}.{number} {mark} {_preview(point.text)}")
    return "\n".join(lines)
