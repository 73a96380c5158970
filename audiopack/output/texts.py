"""Text files of the pack: lyrics (.lrc), subtitles (.srt/.vtt), playlist (.m3u8), index.md.

Manuscript text is made safe for each format: no line breaks inside a line or cue (no line
injection), no cue-timing arrows in subtitle text, markup characters escaped in WebVTT.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the timeline pulls in the planner; the formatters need no import of it
    from audiopack.output.packs import PackSentence
    from audiopack.output.timeline import ChapterTime

_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def one_line(text: str) -> str:
    return _CONTROL.sub("", _BREAKS.sub(" ", text)).strip()


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def format_time(seconds: float) -> str:
    """``mm:ss`` (``h:mm:ss`` from one hour on); negative or invalid values count as 0."""
    total = int(seconds) if math.isfinite(seconds) and seconds > 0 else 0
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _chapter_lines(chapter: ChapterTime) -> Iterator[PackSentence]:
    if chapter.heading is not None:
        yield chapter.heading
    for point in chapter.points:
        yield from (s for s in point.sentences if one_line(s.text))


def _lrc(title: str, album: str, artist: str, length_s: float,
         lines: Iterator[tuple[float, str]]) -> str:  # fmt: skip
    def stamp(seconds: float) -> str:
        centis = max(0, round(seconds * 100))
        minutes, rest = divmod(centis, 6000)
        return f"[{minutes:02d}:{rest // 100:02d}.{rest % 100:02d}]"

    head = [
        f"[ti:{one_line(title)}]",
        f"[al:{one_line(album)}]",
        f"[ar:{one_line(artist)}]",
        f"[length:{format_time(length_s)}]",
    ]
    return "\n".join(head + [f"{stamp(start)}{one_line(text)}" for start, text in lines]) + "\n"


def lrc(chapter: ChapterTime, album: str, artist: str) -> str:
    lines = ((s.start_s, s.text) for s in _chapter_lines(chapter))
    return _lrc(chapter.chapter.title, album, artist, chapter.duration_s, lines)


def book_lrc(chapters: tuple[ChapterTime, ...], album: str, artist: str) -> str:
    """Lyrics of the whole book (beside the book MP3), on the book's timeline."""
    lines = ((start, text) for start, _, text in _book_cues(chapters))
    return _lrc(album, album, artist, chapters[-1].end_s if chapters else 0.0, lines)


def _book_cues(chapters: tuple[ChapterTime, ...]) -> Iterator[tuple[float, float, str]]:
    for chapter in chapters:
        for sentence in _chapter_lines(chapter):
            text = one_line(sentence.text).replace("-->", "->")
            yield chapter.start_s + sentence.start_s, chapter.start_s + sentence.end_s, text


def srt(chapters: tuple[ChapterTime, ...]) -> str:
    blocks = [
        f"{n}\n{_clock(a, ',')} --> {_clock(b, ',')}\n{text}\n"
        for n, (a, b, text) in enumerate(_book_cues(chapters), 1)
    ]
    return "\n".join(blocks)


def vtt(chapters: tuple[ChapterTime, ...]) -> str:
    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    blocks = ["WEBVTT\n"]
    blocks += [
        f"{_clock(a, '.')} --> {_clock(b, '.')}\n{escape(text)}\n"
        for a, b, text in _book_cues(chapters)
    ]
    return "\n".join(blocks)


def m3u8(chapters: tuple[ChapterTime, ...], album: str) -> str:
    lines = ["#EXTM3U", f"#PLAYLIST:{one_line(album)}"]
    for chapter in chapters:
        if chapter.file is None:
            continue
        lines.append(f"#EXTINF:{round(chapter.duration_s)},{one_line(chapter.chapter.title)}")
        lines.append(chapter.file)
    return "\n".join(lines) + "\n"


def index_markdown(
    title: str, chapters: tuple[ChapterTime, ...], book: str | Sequence[str] | None
) -> str:
    def md(text: str) -> str:
        return re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", one_line(text))

    total = chapters[-1].end_s if chapters else 0.0
    count = sum(c.chapter.kind != "jingle" for c in chapters)  # intro and outro are not text
    lines = [f"# {md(title)}", "", f"总时长 {format_time(total)}，共 {count} 章。", ""]
    books = [book] if isinstance(book, str) else list(book or ())
    if books:
        lines += ["有声书：" + "、".join(f"`{name}`" for name in books), ""]
    for chapter in chapters:
        where = f"（{chapter.file}）" if chapter.file else ""
        lines.append(f"## {format_time(chapter.start_s)} {md(chapter.chapter.title)}{where}")
        lines.append("")
        for point in chapter.points:
            if point.kind == "point":  # a jingle is a chapter's sound, not a point of its text
                lines.append(f"- {format_time(chapter.start_s + point.start_s)} {md(point.title)}")
        lines.append("")
    return "\n".join(lines)
