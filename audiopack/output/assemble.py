"""Assemble the pack from encoded pieces: chapter MP3s, the M4B, the book MP3 and the text
files, each written to staging only when its fingerprint changed, then committed through the
pack folder's journal (audiopack.output.pack)."""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audiopack.audio import codec as audio_codec
from audiopack.cache import Store, content_key
from audiopack.config import BuildConfig
from audiopack.errors import ConfigError, PackError
from audiopack.output.names import safe_component
from audiopack.output.pack import PackFolder, write_staged_text
from audiopack.output.texts import one_line
from audiopack.output.timeline import ChapterTime, chapter_times, index_document
from audiopack.planning import BuildPlan, ChapterPlan, PiecePlan
from audiopack.synthesize import Progress

COVER_STYLE = 1  # bump when the generated cover's design changes


class Cover:
    """The cover: identified cheaply (for fingerprints), made only when a file needs it."""

    def __init__(self, config: BuildConfig, title: str, folder: PackFolder | None = None) -> None:
        self.config, self.title, self.folder = config, title, folder
        self._bytes: bytes | None = None
        if config.cover is not None:
            try:
                self.key = hashlib.sha256(config.cover.read_bytes()).hexdigest()
            except OSError as e:
                raise ConfigError(f"cannot read --cover {config.cover}: {e.strerror}") from e
        else:
            self.key = content_key({"generated": COVER_STYLE, "title": title})

    @property
    def data(self) -> bytes:
        if (
            self._bytes is None
            and self.folder is not None
            and self.folder.unchanged("cover.jpg", self.key)
        ):
            self._bytes = (self.folder.root / "cover.jpg").read_bytes()  # made by a previous build
        if self._bytes is None:
            from audiopack.output.cover import load_cover, make_cover

            cover = self.config.cover
            self._bytes = load_cover(cover) if cover is not None else make_cover(self.title)
        return self._bytes


@dataclass
class PackContext:
    """Everything assembling a pack needs, made once per build."""

    config: BuildConfig
    plan: BuildPlan
    segments: Store
    pieces: Store
    codecs: tuple[audio_codec.Codec, ...]
    folder: PackFolder
    engine_info: dict[str, Any]
    source: dict[str, str]
    cover: Cover
    year: str
    last_duration_s: float = 0.0


def book_files(config: BuildConfig, title: str) -> dict[str, str]:
    """The book's files by format ("m4b", "mp3"), as config asks for them."""
    stem = safe_component(title, fallback="book")
    wanted = {"m4b": "m4b", "mp3": "book-mp3"}
    return {kind: f"{stem}.{kind}" for kind, name in wanted.items() if name in config.format_set}


def audio_files(ctx: PackContext) -> list[tuple[str, tuple[PiecePlan, ...]]]:
    """Every audio file of the pack and the pieces it is made of."""
    formats = ctx.config.format_set
    wanted: list[tuple[str, tuple[PiecePlan, ...]]] = []
    if "mp3" in formats:
        wanted += [(f"{c.stem}.mp3", c.pieces) for c in ctx.plan.chapters]
    every_piece = tuple(p for c in ctx.plan.chapters for p in c.pieces)
    books = book_files(ctx.config, ctx.plan.manuscript.title)
    wanted += [(name, every_piece) for name in books.values()]
    return wanted


def _tag_fingerprint(ctx: PackContext, suffix: str, **more: Any) -> str:
    return content_key({
        "codec": [c.tag for c in ctx.codecs if c.suffix == suffix],
        "album": ctx.plan.manuscript.title, "artist": ctx.config.artist, "year": ctx.year,
        "cover": ctx.cover.key, **more,
    })  # fmt: skip


def _write_chapter_mp3(
    ctx: PackContext, chapter: ChapterPlan, track: int, times: ChapterTime, dest: Path
) -> None:
    from audiopack.output.book_mp3 import point_marks
    from audiopack.output.tags import TrackTags, write_tagged_mp3

    tags = TrackTags(
        title=chapter.chapter.title,
        album=ctx.plan.manuscript.title,
        artist=ctx.config.artist,
        track=track,
        total=len(ctx.plan.chapters),
        year=ctx.year,
        cover_jpeg=ctx.cover.data,
        chapters=point_marks(times),
    )
    write_tagged_mp3(dest, [ctx.pieces.blob_path(p.key, "mp3") for p in chapter.pieces], tags)


def _write_m4b(
    ctx: PackContext,
    times: tuple[ChapterTime, ...],
    piece_records: dict[str, dict[str, Any]],
    dest: Path,
) -> None:
    from audiopack.output.book import write_m4b
    from audiopack.output.mp4 import unpack_frame_sizes

    pieces = [p for c in ctx.plan.chapters for p in c.pieces]
    parts = [ctx.pieces.blob_path(p.key, "aac") for p in pieces]
    sizes = [unpack_frame_sizes(piece_records[p.key].get("aac_sizes")) for p in pieces]
    title = ctx.plan.manuscript.title
    write_m4b(dest, aac_parts=parts, part_frame_sizes=sizes,
              chapters=[(one_line(c.chapter.title), c.start_s) for c in times],
              total_s=times[-1].end_s,
              metadata={"title": title, "album": title, "artist": ctx.config.artist,
                        "year": ctx.year},
              cover_jpeg=ctx.cover.data)  # fmt: skip


def _write_book_mp3(ctx: PackContext, times: tuple[ChapterTime, ...], dest: Path) -> None:
    from audiopack.output.book_mp3 import write_book_mp3

    parts = [ctx.pieces.blob_path(p.key, "mp3") for c in ctx.plan.chapters for p in c.pieces]
    write_book_mp3(dest, parts, times, title=ctx.plan.manuscript.title,
                   artist=ctx.config.artist, year=ctx.year, cover_jpeg=ctx.cover.data)  # fmt: skip


class _Staging:
    """Files of the new pack: kept when their fingerprint is unchanged, else made in a
    staging folder (created on first need: a no-op rebuild writes nothing)."""

    def __init__(self, folder: PackFolder) -> None:
        self.folder = folder
        self.dirs: list[Path] = []
        self.staged: dict[str, Path] = {}
        self.records: dict[str, dict[str, Any]] = {}

    def keep_or_make(self, name: str, fingerprint: str, make: Callable[[Path], object]) -> None:
        self.records[name] = {"fingerprint": fingerprint}
        if self.folder.unchanged(name, fingerprint):
            self.records[name]["size"] = (self.folder.root / name).stat().st_size
            return
        if not self.dirs:
            self.dirs.append(self.folder.staging())
        path = self.dirs[0] / name
        make(path)
        self.staged[name] = path
        self.records[name]["size"] = path.stat().st_size

    def text(self, name: str, text: str, encoding: str = "utf-8") -> None:
        data = text.encode(encoding)
        self.keep_or_make(
            name,
            hashlib.sha256(data).hexdigest(),
            lambda path: write_staged_text(path.parent, name, text, encoding),
        )

    def clean(self) -> None:
        for staging in self.dirs:
            shutil.rmtree(staging, ignore_errors=True)


def assemble(ctx: PackContext, progress: Progress) -> tuple[list[str], list[str]]:
    """Write changed files to staging and commit; returns (all files, changed files)."""
    from audiopack.output import texts
    from audiopack.output.page import render_index_html

    config = ctx.config
    formats = config.format_set
    mp3 = "mp3" in formats
    timeline_codec = "mp3" if mp3 or "book-mp3" in formats else "aac"
    # Each piece's record is read once, for the timeline and the book alike.
    piece_records = {p.key: ctx.pieces.meta(p.key) or {} for p in ctx.plan.pieces}
    times = chapter_times(ctx.plan, piece_records, timeline_codec, mp3)
    title = ctx.plan.manuscript.title
    books = book_files(config, title)
    index = index_document(
        title, ctx.source, ctx.engine_info, times, books, ctx.plan.manuscript.document.as_dict()
    )
    ctx.last_duration_s = times[-1].end_s if times else 0.0
    lrc_encoding = "gb18030" if config.lrc_encoding.lower().startswith("gb") else "utf-8"
    every_piece = [p.key for c in ctx.plan.chapters for p in c.pieces]

    out = _Staging(ctx.folder)
    try:
        chapter_count = len(ctx.plan.chapters)
        progress.start("writing pack", chapter_count + 1)
        chapters = zip(ctx.plan.chapters, times, strict=True)
        for track, (chapter, chapter_time) in enumerate(chapters, 1):
            if mp3:
                fingerprint = _tag_fingerprint(
                    ctx, "mp3", pieces=[p.key for p in chapter.pieces],
                    title=chapter.chapter.title, track=[track, chapter_count],
                    marks=[[p.title, p.start_s, p.end_s] for p in chapter_time.points],
                )  # fmt: skip
                out.keep_or_make(
                    f"{chapter.stem}.mp3",
                    fingerprint,
                    functools.partial(_write_chapter_mp3, ctx, chapter, track, chapter_time),
                )
                out.text(
                    f"{chapter.stem}.lrc", texts.lrc(chapter_time, title, config.artist),
                    lrc_encoding,
                )  # fmt: skip
            progress.advance()
        book_marks = [[c.chapter.title, c.start_s] for c in times]
        if "m4b" in books:
            fingerprint = _tag_fingerprint(ctx, "aac", pieces=every_piece, marks=book_marks)
            out.keep_or_make(
                books["m4b"], fingerprint, lambda path: _write_m4b(ctx, times, piece_records, path)
            )
        if "mp3" in books:
            point_marks = [[[p.title, p.start_s] for p in c.points] for c in times]
            fingerprint = _tag_fingerprint(ctx, "mp3", pieces=every_piece, book=1,
                                           marks=book_marks, points=point_marks)  # fmt: skip
            out.keep_or_make(
                books["mp3"], fingerprint, lambda path: _write_book_mp3(ctx, times, path)
            )
            out.text(
                Path(books["mp3"]).with_suffix(".lrc").name,
                texts.book_lrc(times, title, config.artist),
                lrc_encoding,
            )
        progress.advance()
        progress.finish()
        out.keep_or_make("cover.jpg", ctx.cover.key, lambda path: path.write_bytes(ctx.cover.data))
        out.text("index.json", json.dumps(index, ensure_ascii=False, indent=1) + "\n")
        out.text("index.md", texts.index_markdown(title, times, list(books.values())))
        out.text("index.html", render_index_html(index, cover="cover.jpg"))
        out.text("book.srt", texts.srt(times))
        out.text("book.vtt", texts.vtt(times))
        if mp3:
            out.text("playlist.m3u8", texts.m3u8(times, title))
        changed = ctx.folder.commit(
            out.staged,
            out.records,
            {
                "source": ctx.source,
                "segments": sorted(s.key for s in ctx.plan.segments),
                "pieces": sorted(p.key for p in ctx.plan.pieces),
            },
        )
    except OSError as e:
        raise PackError(f"cannot write the pack in {ctx.folder.root}: {e.strerror or e}") from e
    finally:
        out.clean()
    return sorted(out.records), changed
