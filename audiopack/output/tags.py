"""Tags: ID3 (with CHAP/CTOC chapter frames) for the MP3s, iTunes-style MP4 tags for the M4B.

Both functions write atomically: the file is copied to a temporary name in the same folder,
the copy is tagged, and the copy replaces the original. Only tag bytes change; the audio
frames are left exactly as they were.

ID3 is saved as version 2.3 (UTF-16 text): it is the version read best by phone players
and Windows. CHAP/CTOC frames (the ID3 chapter addendum) are valid in 2.3 as well.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audiopack.atomic import atomic_path
from audiopack.errors import PackError

log = logging.getLogger(__name__)

#: Element id of the table of contents frame; chapters are "chp0", "chp1", ….
TOC_ID = "toc"
#: ISO 639-2 language code used for the lyrics frame.
LYRICS_LANG = "chi"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_YEAR = re.compile(r"\d{4}")


def chapter_id(index: int) -> str:
    """The CHAP element id of the ``index``-th chapter (0-based)."""
    return f"chp{index}"


def clean_text(text: str, *, multiline: bool = False) -> str:
    """Text safe for a tag: no control characters (a NUL would split an ID3 value).

    Line breaks are kept when ``multiline`` (lyrics) and turned into spaces otherwise.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        text = " ".join(text.split("\n"))
    text = text.replace("\t", " ")
    text = _CONTROL.sub("", text)
    # Lone surrogates cannot be encoded in UTF-8/UTF-16 tags.
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text if multiline else text.strip()


def _year(year: str | None) -> str | None:
    if not year:
        return None
    match = _YEAR.search(year)
    if match is None:
        log.debug("ignoring year %r: no four-digit year in it", year)
        return None
    return match.group(0)


def _edit_atomically(path: Path, edit: Callable[[Path], None]) -> None:
    """Copy ``path`` to a temp file beside it, ``edit`` the copy, then replace ``path``."""
    if not path.is_file():
        raise PackError(f"cannot tag {path}: no such file")
    try:
        with atomic_path(path, durable=False) as tmp:
            shutil.copyfile(path, tmp)
            shutil.copymode(path, tmp)
            edit(tmp)
    except OSError as e:
        raise PackError(f"cannot tag {path}: {e}") from e


Mark = tuple[str, int, int]  # (title, start_ms, end_ms)


@dataclass(frozen=True)
class TrackTags:
    """What an MP3 is tagged with. ``chapters`` are ``(title, start_ms, end_ms)``;
    ``sub_chapters`` (optional, one sequence per chapter) nest a second level under them:
    the book MP3's points inside its chapters."""

    title: str
    album: str
    artist: str
    track: int
    total: int
    year: str | None
    cover_jpeg: bytes | None
    chapters: Sequence[Mark]
    lyrics: str | None = None
    sub_chapters: Sequence[Sequence[Mark]] = ()


def _chap(id3: Any, element: str, mark: Mark) -> Any:
    chapter_title, start_ms, end_ms = mark
    start = max(0, int(start_ms))
    return id3.CHAP(
        element_id=element,
        start_time=start,
        end_time=max(start, int(end_ms)),
        start_offset=0xFFFFFFFF,  # "use the times"
        end_offset=0xFFFFFFFF,
        sub_frames=[id3.TIT2(encoding=id3.Encoding.UTF8, text=[clean_text(chapter_title)])],
    )


def _build_id3(track_tags: TrackTags) -> tuple[Any, list[str]]:
    """The ``mutagen.id3.ID3`` tag that :func:`tag_mp3` writes, and the element ids of its
    CTOC/CHAP frames in the order they are to be stored."""
    title, album, artist = track_tags.title, track_tags.album, track_tags.artist
    track, total, year = track_tags.track, track_tags.total, track_tags.year
    cover_jpeg, chapters, lyrics = track_tags.cover_jpeg, track_tags.chapters, track_tags.lyrics
    import mutagen.id3

    id3: Any = mutagen.id3  # untyped library: keep mypy --strict out of it
    utf8 = id3.Encoding.UTF8  # converted to UTF-16 when saved as v2.3
    title = clean_text(title)
    tags = id3.ID3()
    tags.add(id3.TIT2(encoding=utf8, text=[title]))
    tags.add(id3.TALB(encoding=utf8, text=[clean_text(album)]))
    tags.add(id3.TPE1(encoding=utf8, text=[clean_text(artist)]))
    tags.add(id3.TPE2(encoding=utf8, text=[clean_text(artist)]))
    tags.add(id3.TRCK(encoding=utf8, text=[f"{track}/{total}" if total > 0 else str(track)]))
    year_text = _year(year)
    if year_text:
        tags.add(id3.TDRC(encoding=utf8, text=[year_text]))  # written as TYER in v2.3
    tags.add(id3.TCON(encoding=utf8, text=["Speech"]))
    if cover_jpeg:
        tags.add(
            id3.APIC(
                encoding=utf8,
                mime="image/jpeg",
                type=id3.PictureType.COVER_FRONT,
                desc="Cover",
                data=cover_jpeg,
            )
        )
    if lyrics:
        tags.add(
            id3.USLT(
                encoding=utf8, lang=LYRICS_LANG, desc="", text=clean_text(lyrics, multiline=True)
            )
        )
    # A nested table of contents: the top level lists the chapters, each followed by the
    # CTOC of its points. Readers that know only one level (most players) take the chapters
    # and may list the points' CHAP frames after them; ffmpeg lists CHAP frames in the
    # order stored, which is chapter, its points, next chapter.
    top: list[str] = []
    order = [TOC_ID]
    for index, mark in enumerate(chapters):
        element = chapter_id(index)
        tags.add(_chap(id3, element, mark))
        top.append(element)
        order.append(element)
        points = track_tags.sub_chapters[index] if index < len(track_tags.sub_chapters) else ()
        if not points:
            continue
        sub_toc = f"{TOC_ID}{index}"
        children = [f"{element}.{k}" for k in range(len(points))]
        tags.add(
            id3.CTOC(
                element_id=sub_toc,
                flags=id3.CTOCFlags.ORDERED,
                child_element_ids=children,
                sub_frames=[id3.TIT2(encoding=utf8, text=[clean_text(mark[0])])],
            )
        )
        top.append(sub_toc)
        order.append(sub_toc)
        for child, point in zip(children, points, strict=True):
            tags.add(_chap(id3, child, point))
            order.append(child)
    if top:
        tags.add(
            id3.CTOC(
                element_id=TOC_ID,
                flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                child_element_ids=top,
                sub_frames=[id3.TIT2(encoding=utf8, text=[title])],
            )
        )
    return tags, order


def _ordered_chapter_frames(tag: bytes, order: Sequence[str]) -> bytes:
    """``tag`` (a whole ID3v2.3 tag) with its CTOC and CHAP frames at the end, in ``order``
    (element ids). mutagen writes frames sorted by size, so CHAP frames come out of order;
    the CTOC says the order, but some readers (ffmpeg's among them) list chapters in frame
    order. The frames are only permuted: same size, nothing else changes."""
    header = tag[:10]
    if len(header) < 10 or header[:3] != b"ID3" or header[3] != 3 or header[5] & 0xC0:
        return tag  # not the plain v2.3 tag mutagen writes (no unsync, no extended header)
    size = 0
    for b in header[6:10]:
        size = (size << 7) | (b & 0x7F)
    body = tag[10 : 10 + size]
    frames: list[tuple[bytes, bytes]] = []
    pos = 0
    while pos + 10 <= len(body) and body[pos] != 0:
        end = pos + 10 + int.from_bytes(body[pos + 4 : pos + 8], "big")
        if end > len(body):
            return tag
        frames.append((body[pos : pos + 4], body[pos:end]))
        pos = end
    rank = {element: n for n, element in enumerate(order)}

    def position(frame: bytes) -> int:
        element = frame[10:].split(b"\x00", 1)[0].decode("latin-1")
        return rank.get(element, len(rank))

    others = [raw for fid, raw in frames if fid not in (b"CHAP", b"CTOC")]
    marks = sorted((raw for fid, raw in frames if fid in (b"CHAP", b"CTOC")), key=position)
    ordered = b"".join(others + marks)
    if len(ordered) != pos:
        return tag
    return header + ordered + tag[10 + pos :]


def _order_chapter_frames(path: Path, order: Sequence[str]) -> None:
    """:func:`_ordered_chapter_frames` on the tag at the start of the file ``path``."""
    with path.open("r+b") as f:
        head = f.read(10)
        if len(head) < 10 or head[:3] != b"ID3":
            return
        size = 0
        for b in head[6:10]:
            size = (size << 7) | (b & 0x7F)
        tag = head + f.read(size)
        ordered = _ordered_chapter_frames(tag, order)
        if ordered != tag and len(ordered) == len(tag):
            f.seek(0)
            f.write(ordered)


def id3_tag_bytes(track_tags: TrackTags) -> bytes:
    """The ID3v2.3 tag :func:`tag_mp3` would write, as bytes to put before MP3 frames."""
    import io

    from mutagen import MutagenError

    tags, order = _build_id3(track_tags)
    buffer = io.BytesIO()
    try:
        tags.update_to_v23()  # TDRC -> TYER, also inside CHAP/CTOC sub-frames
        tags.save(buffer, v1=0, v2_version=3)
    except MutagenError as e:
        raise PackError(f"cannot make the tags of “{track_tags.title}”: {e}") from e
    return _ordered_chapter_frames(buffer.getvalue(), order)


def write_tagged_mp3(dest: Path, parts: Sequence[Path], track_tags: TrackTags) -> None:
    """Write ``dest``: its ID3 tag, then the MP3 ``parts`` joined by stream copy (no
    re-encoding, memory flat however long the book). ``dest`` is a new file (staging)."""
    tag = id3_tag_bytes(track_tags)
    with dest.open("wb") as out:
        out.write(tag)
        for part in parts:
            with part.open("rb") as source:
                shutil.copyfileobj(source, out, 1 << 20)
    log.debug("wrote %s (%d chapters)", dest, len(track_tags.chapters))


def tag_mp3(path: Path, track_tags: TrackTags) -> None:
    """Replace the tags of the MP3 at ``path`` with a fresh ID3v2.3 tag.

    ``chapters`` are ``(title, start_ms, end_ms)``; each becomes a CHAP frame "chpN" listed
    in order by one top-level CTOC frame "toc". An ID3v1 tag, if any, is removed (it cannot
    hold Chinese). The audio frames are not touched.
    """
    from mutagen import MutagenError

    tags, order = _build_id3(track_tags)

    def edit(tmp: Path) -> None:
        try:
            # save() replaces an existing ID3v2 tag in place (or inserts one); v1=0 drops ID3v1.
            tags.update_to_v23()  # TDRC -> TYER, also inside CHAP/CTOC sub-frames
            tags.save(tmp, v1=0, v2_version=3)
            _order_chapter_frames(tmp, order)
        except MutagenError as e:
            raise PackError(f"cannot tag {path}: {e}") from e

    _edit_atomically(path, edit)
    log.debug("tagged %s (%d chapters)", path, len(track_tags.chapters))


@dataclass(frozen=True)
class BookTags:
    """What the M4B book is tagged with (iTunes atoms)."""

    title: str
    album: str
    artist: str
    year: str | None
    cover_jpeg: bytes | None
    genre: str = "Audiobook"
    comment: str = ""


def tag_m4b_in_place(path: Path, book: BookTags) -> None:
    import mutagen.mp4
    from mutagen import MutagenError

    mp4_module: Any = mutagen.mp4
    MP4Cover = mp4_module.MP4Cover
    try:
        mp4 = mp4_module.MP4(path)
        if mp4.tags is None:
            mp4.add_tags()
        tags = mp4.tags
        assert tags is not None
        tags["©nam"] = [clean_text(book.title)]
        tags["©alb"] = [clean_text(book.album)]
        tags["©ART"] = [clean_text(book.artist)]
        tags["aART"] = [clean_text(book.artist)]
        tags["©gen"] = [clean_text(book.genre)]
        tags["stik"] = [2]  # media kind: Audiobook
        if book.comment:
            tags["©cmt"] = [clean_text(book.comment, multiline=True)]
        year_text = _year(book.year)
        if year_text:
            tags["©day"] = [year_text]
        elif "©day" in tags:
            del tags["©day"]
        if book.cover_jpeg:
            tags["covr"] = [MP4Cover(book.cover_jpeg, imageformat=MP4Cover.FORMAT_JPEG)]
        mp4.save()
    except MutagenError as e:
        raise PackError(f"cannot tag {path}: {e}") from e


def tag_m4b(
    path: Path,
    *,
    title: str,
    album: str,
    artist: str,
    year: str | None,
    cover_jpeg: bytes | None,
    genre: str = "Audiobook",
) -> None:
    """Set the iTunes tags of the M4B at ``path`` (title, album, artist, album artist, year,
    genre, front cover, media kind "Audiobook"); other atoms, chapters included, are kept."""

    book = BookTags(title, album, artist, year, cover_jpeg, genre)
    _edit_atomically(path, lambda tmp: tag_m4b_in_place(tmp, book))
    log.debug("tagged %s", path)
