"""The whole pack as one MP3, for a chat group or a phone that does not open .m4b.

It is the chapter MP3s' pieces joined by stream copy (audio/layout.py lays every piece on a grid
where it encodes to whole MP3 frames, so the joined frames decode to exactly the index's timeline),
behind one ID3v2.3 tag: title, album, artist, cover and a nested table of contents (CHAP/CTOC):
one chapter mark per chapter of the index (jingles included), under each the marks of its
points. An edit rewrites it from the cached pieces: a tag and a file copy, no re-encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from audiopack.output.tags import Mark, TrackTags, write_tagged_mp3
from audiopack.output.timeline import ChapterTime


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def point_marks(chapter: ChapterTime, offset_s: float = 0.0) -> list[Mark]:
    """One mark per point of ``chapter`` (jingles have none: they are not text), from where
    its speech begins to where the next point's begins (or the chapter ends), ``offset_s``
    added (0 inside the chapter's own file, the chapter's start in the book)."""
    points = [p for p in chapter.points if p.kind == "point"]
    marks: list[Mark] = []
    for index, point in enumerate(points):
        start = _ms(offset_s + point.start_s)
        following = points[index + 1].start_s if index + 1 < len(points) else None
        end = _ms(offset_s + (following if following is not None else chapter.duration_s))
        marks.append((point.title, start, max(start, end)))
    return marks


def book_marks(times: Sequence[ChapterTime]) -> tuple[list[Mark], list[list[Mark]]]:
    """The book's chapter marks (on the book's timeline) and, per chapter, its points'."""
    chapters = [(c.chapter.title, _ms(c.start_s), _ms(c.end_s)) for c in times]
    return chapters, [point_marks(c, c.start_s) for c in times]


def write_book_mp3(
    dest: Path,
    parts: Sequence[Path],
    times: Sequence[ChapterTime],
    *,
    title: str,
    artist: str,
    year: str | None,
    cover_jpeg: bytes | None,
) -> None:
    """Write the book MP3 ``dest`` from the pieces' MP3 ``parts`` in book order."""
    chapters, points = book_marks(times)
    tags = TrackTags(
        title=title,
        album=title,
        artist=artist,
        track=1,
        total=1,
        year=year,
        cover_jpeg=cover_jpeg,
        chapters=chapters,
        sub_chapters=points,
    )
    write_tagged_mp3(dest, parts, tags)
