"""build(): the stages in order — read, structure, plan, synthesise, encode, assemble, commit."""

from __future__ import annotations

import asyncio
import datetime
import functools
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from audiopack import audio
from audiopack.atomic import atomic_write_text
from audiopack.cache import Store, content_key
from audiopack.config import BuildConfig
from audiopack.engines import Engine
from audiopack.errors import ConfigError, PackError
from audiopack.model import SAMPLE_RATE, Manuscript
from audiopack.names import safe_component
from audiopack.pack import STATE_DIR, PackFolder, write_staged_text
from audiopack.pieces import PieceEncoder, piece_ready
from audiopack.plan import BuildPlan, ChapterPlan, Pauses, PiecePlan, SpeechMemo, make_plan
from audiopack.speech import SpeechOptions
from audiopack.synthesize import NullProgress, Progress, synthesize_all
from audiopack.texts import one_line
from audiopack.timeline import ChapterTime, chapter_times, index_document

log = logging.getLogger(__name__)

CACHE_SUBDIR = "cache"


@dataclass(frozen=True)
class BuildResult:
    pack: Path
    chapters: int
    points: int
    duration_s: float
    synthesized: int
    reused: int
    files: tuple[str, ...]
    changed: tuple[str, ...]
    engine: str
    fallback_reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "pack": str(self.pack),
            "chapters": self.chapters,
            "points": self.points,
            "duration": self.duration_s,
            "synthesized": self.synthesized,
            "reused": self.reused,
            "files": list(self.files),
            "changed": list(self.changed),
            "engine": self.engine,
        }


@dataclass(frozen=True)
class DryRunReport:
    pack: Path
    engine: str
    to_synthesize: tuple[str, ...]
    reused: int
    changed_files: tuple[str, ...]
    unchanged_files: tuple[str, ...]
    removed_files: tuple[str, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        return {
            "pack": str(self.pack),
            "engine": self.engine,
            "synthesize": list(self.to_synthesize),
            "reused": self.reused,
            "changed": list(self.changed_files),
            "unchanged": list(self.unchanged_files),
            "removed": list(self.removed_files),
        }


def load(config: BuildConfig) -> Manuscript:
    from audiopack.structure import load_manuscript

    return load_manuscript(config.manuscript, title=config.title)


def cache_root(config: BuildConfig) -> Path:
    return config.cache_dir if config.cache_dir else config.pack_dir / ".audiopack" / CACHE_SUBDIR


def codecs_for(config: BuildConfig, rate: int = SAMPLE_RATE) -> tuple[audio.Codec, ...]:
    """The encodings the formats need, at ``rate``: the engine's own, so that nothing is
    resampled (eSpeak NG speaks at 22.05 kHz, the Edge voices at 24 kHz)."""
    wanted = []
    if config.formats in ("mp3", "both"):
        wanted.append(audio.mp3_codec(config.mp3_bitrate_k, rate))
    if config.formats in ("m4b", "both"):
        wanted.append(audio.aac_codec(config.aac_bitrate_k, rate))
    return tuple(wanted)


def speech_options(
    config: BuildConfig, engine_name: str, input_form: Literal["text", "pinyin"] = "text"
) -> SpeechOptions:
    from audiopack.speech import load_lexicon

    return SpeechOptions(
        numbers=engine_name != "edge",
        placeholder=config.placeholder,
        lexicon=load_lexicon(config.lexicon),
        input_form=input_form,
    )


MEMO_FILE = "speech-memo.json"


def _load_memo(config: BuildConfig, options: SpeechOptions) -> SpeechMemo:
    memo = SpeechMemo(options)
    try:
        data = json.loads((config.pack_dir / STATE_DIR / MEMO_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return memo
    if (
        isinstance(data, dict)
        and data.get("options") == memo.options_key
        and isinstance(data.get("entries"), dict)
    ):
        memo.known = data["entries"]
    return memo


def _save_memo(config: BuildConfig, memo: SpeechMemo) -> None:
    path = config.pack_dir / STATE_DIR / MEMO_FILE
    try:
        atomic_write_text(
            path,
            json.dumps({"options": memo.options_key, "entries": memo.used}, ensure_ascii=False),
            durable=False,  # a lost memo only costs the next build its speed
        )
    except OSError as e:  # only an optimisation: never fail a build over it
        log.debug("cannot save the speech memo: %s", e)


def _pauses(config: BuildConfig) -> Pauses:
    return Pauses(config.pause_sentence_s, config.pause_point_s, config.pause_heading_s)


# --- pieces -------------------------------------------------------------------------------


@dataclass
class _Context:
    config: BuildConfig
    plan: BuildPlan
    segments: Store
    pieces: Store
    codecs: tuple[audio.Codec, ...]
    folder: PackFolder
    engine_info: dict[str, Any]
    source: dict[str, str]
    cover: Cover
    year: str
    last_duration_s: float = 0.0


def _source_info(path: Path) -> dict[str, str]:
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        digest = ""
    return {"file": path.name, "sha256": digest}


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
            from audiopack.cover import load_cover, make_cover

            cover = self.config.cover
            self._bytes = load_cover(cover) if cover is not None else make_cover(self.title)
        return self._bytes


def _missing(ctx: _Context) -> tuple[list[PiecePlan], list[Any], int]:
    """Pieces to encode, the segments they need that are not cached (verified), reused count."""
    missing_pieces = [p for p in ctx.plan.pieces if not piece_ready(ctx.pieces, p, ctx.codecs)]
    needed: dict[str, Any] = {}
    for piece in missing_pieces:
        for segment in piece.segments:
            needed.setdefault(segment.key, segment)
    to_synth = [s for k, s in needed.items() if ctx.segments.meta(k, verify=True) is None]
    total = len(ctx.plan.segments)
    return missing_pieces, to_synth, total - len(to_synth)


def _chapter_fingerprint(
    ctx: _Context, chapter: ChapterPlan, times: ChapterTime, suffix: str
) -> str:
    return content_key({
        "pieces": [p.key for p in chapter.pieces],
        "codec": [c.tag for c in ctx.codecs if c.suffix == suffix],
        "title": chapter.chapter.title,
        "album": ctx.plan.manuscript.title,
        "artist": ctx.config.artist,
        "track": [chapter.number, len(ctx.plan.chapters)],
        "year": ctx.year,
        "cover": ctx.cover.key,
        "marks": [[p.title, p.start_s, p.end_s] for p in times.points],
    })  # fmt: skip


def _write_chapter_mp3(ctx: _Context, chapter: ChapterPlan, times: ChapterTime, dest: Path) -> None:
    from audiopack.tags import TrackTags, tag_mp3

    parts = [ctx.pieces.blob_path(p.key, "mp3") for p in chapter.pieces]
    audio.concatenate_files(parts, dest)
    marks = []
    for index, point in enumerate(times.points):
        start_ms = round(point.start_s * 1000)
        following = times.points[index + 1].start_s if index + 1 < len(times.points) else None
        end_ms = round((following if following is not None else times.duration_s) * 1000)
        marks.append((point.title, start_ms, max(start_ms, end_ms)))
    tags = TrackTags(
        title=chapter.chapter.title,
        album=ctx.plan.manuscript.title,
        artist=ctx.config.artist,
        track=chapter.number,
        total=len(ctx.plan.chapters),
        year=ctx.year,
        cover_jpeg=ctx.cover.data,
        chapters=marks,
    )
    tag_mp3(dest, tags)


def _write_book(
    ctx: _Context,
    times: tuple[ChapterTime, ...],
    piece_records: dict[str, dict[str, Any]],
    dest: Path,
) -> None:
    from audiopack.book import write_m4b
    from audiopack.mp4 import unpack_frame_sizes

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


def _assemble(ctx: _Context, progress: Progress) -> tuple[list[str], list[str]]:
    """Write changed files to staging and commit; returns (all files, changed files)."""
    from audiopack import texts
    from audiopack.page import render_index_html

    config = ctx.config
    mp3 = config.formats in ("mp3", "both")
    m4b = config.formats in ("m4b", "both")
    timeline_codec = "mp3" if mp3 else "aac"
    # Each piece's record is read once, for the timeline and the book alike.
    piece_records = {p.key: ctx.pieces.meta(p.key) or {} for p in ctx.plan.pieces}
    times = chapter_times(ctx.plan, piece_records, timeline_codec, mp3)
    title = ctx.plan.manuscript.title
    book_file = safe_component(title, fallback="book") + ".m4b" if m4b else None
    index = index_document(title, ctx.source, ctx.engine_info, times, book_file)
    ctx.last_duration_s = times[-1].end_s if times else 0.0

    folder = ctx.folder
    staging_dirs: list[Path] = []  # made on first need: a no-op rebuild writes nothing
    staged: dict[str, Path] = {}
    records: dict[str, dict[str, Any]] = {}

    def keep_or_make(name: str, fingerprint: str, make: Callable[[Path], object]) -> None:
        records[name] = {"fingerprint": fingerprint}
        if folder.unchanged(name, fingerprint):
            records[name]["size"] = (folder.root / name).stat().st_size
            return
        if not staging_dirs:
            staging_dirs.append(folder.staging())
        path = staging_dirs[0] / name
        make(path)
        staged[name] = path
        records[name]["size"] = path.stat().st_size

    def text_file(name: str, text: str, encoding: str = "utf-8") -> None:
        data = text.encode(encoding)
        keep_or_make(
            name,
            hashlib.sha256(data).hexdigest(),
            lambda path: write_staged_text(path.parent, name, text, encoding),
        )

    try:
        chapter_count = len(ctx.plan.chapters)
        progress.start("writing pack", chapter_count + 1)
        for chapter, chapter_time in zip(ctx.plan.chapters, times, strict=True):
            if mp3:
                fingerprint = _chapter_fingerprint(ctx, chapter, chapter_time, "mp3")
                keep_or_make(
                    f"{chapter.stem}.mp3",
                    fingerprint,
                    functools.partial(_write_chapter_mp3, ctx, chapter, chapter_time),
                )
                text_file(
                    f"{chapter.stem}.lrc",
                    texts.lrc(chapter_time, title, config.artist),
                    "gb18030" if config.lrc_encoding.lower().startswith("gb") else "utf-8",
                )
            progress.advance()
        if m4b and book_file:
            fingerprint = content_key({
                "pieces": [p.key for c in ctx.plan.chapters for p in c.pieces],
                "codec": [c.tag for c in ctx.codecs if c.suffix == "aac"],
                "marks": [[c.chapter.title, c.start_s] for c in times],
                "title": title, "artist": config.artist, "year": ctx.year,
                "cover": ctx.cover.key,
            })  # fmt: skip
            keep_or_make(
                book_file,
                fingerprint,
                functools.partial(_write_book, ctx, times, piece_records),
            )
        progress.advance()
        progress.finish()
        keep_or_make("cover.jpg", ctx.cover.key, lambda path: path.write_bytes(ctx.cover.data))
        text_file("index.json", json.dumps(index, ensure_ascii=False, indent=1) + "\n")
        text_file("index.md", texts.index_markdown(title, times, book_file))
        text_file("index.html", render_index_html(index, cover="cover.jpg"))
        text_file("book.srt", texts.srt(times))
        text_file("book.vtt", texts.vtt(times))
        if mp3:
            text_file("playlist.m3u8", texts.m3u8(times, title))
        changed = folder.commit(
            staged,
            records,
            {
                "source": ctx.source,
                "segments": sorted(s.key for s in ctx.plan.segments),
                "pieces": sorted(p.key for p in ctx.plan.pieces),
            },
        )
    except OSError as e:
        raise PackError(f"cannot write the pack in {folder.root}: {e.strerror or e}") from e
    finally:
        import shutil

        for staging in staging_dirs:
            shutil.rmtree(staging, ignore_errors=True)
    return sorted(records), changed


async def _prepare(
    config: BuildConfig,
    manuscript: Manuscript,
    progress: Progress,
    dry_run: bool,
    engine_override: Engine | None = None,
) -> tuple[_Context, PieceEncoder, int, int, str | None] | DryRunReport:
    """Open the engine, plan, synthesise what is missing while encoding pieces whose speech is
    ready (or, for a dry run, report what would be done)."""
    from audiopack.engines.factory import EngineChoice, open_engine

    choice = EngineChoice(engine_override) if engine_override else await open_engine(config)
    engine = choice.engine
    try:
        fingerprint = engine.fingerprint()
        options = speech_options(config, engine.name, getattr(engine, "input_form", "text"))
        codecs = codecs_for(config, engine.sample_rate)
        memo = _load_memo(config, options)
        plan = make_plan(manuscript, fingerprint, memo, _pauses(config), codecs, engine.sample_rate)
        if memo.changed and not dry_run:
            _save_memo(config, memo)
        root = cache_root(config)
        fallback = {"fallback": choice.fallback_reason} if choice.fallback_reason else {}
        folder = PackFolder(config.pack_dir)
        ctx = _Context(
            config=config,
            plan=plan,
            segments=Store(root, "segments"),
            pieces=Store(root, "pieces"),
            codecs=codecs,
            folder=folder,
            engine_info={"name": engine.name, **fingerprint, **fallback},
            source=_source_info(config.manuscript),
            cover=Cover(config, manuscript.title, folder),
            year=str(datetime.date.today().year),
        )
        missing_pieces, to_synth, reused = _missing(ctx)
        if dry_run:
            return _dry_run(ctx, missing_pieces, to_synth, reused, engine.name)
        encoder = PieceEncoder(
            ctx.segments,
            ctx.pieces,
            ctx.codecs,
            missing_pieces,
            {s.key for s in to_synth},
            plan.sample_rate,
        )
        try:
            report = await synthesize_all(
                engine,
                to_synth,
                ctx.segments,
                config.jobs,
                progress,
                on_stored=encoder.segment_stored,
            )
        except BaseException:
            encoder.abort()
            raise
    finally:
        await engine.aclose()
    return ctx, encoder, report.synthesized, reused, choice.fallback_reason


def _dry_run(
    ctx: _Context, missing_pieces: list[PiecePlan], to_synth: list[Any], reused: int, engine: str
) -> DryRunReport:
    missing_keys = {p.key for p in missing_pieces}
    manifest = ctx.folder.manifest().get("files", {})
    changed, unchanged = [], []
    wanted: list[tuple[str, tuple[PiecePlan, ...]]] = []
    if ctx.config.formats in ("mp3", "both"):
        wanted += [(f"{c.stem}.mp3", c.pieces) for c in ctx.plan.chapters]
    if ctx.config.formats in ("m4b", "both"):
        book = safe_component(ctx.plan.manuscript.title, fallback="book") + ".m4b"
        wanted.append((book, tuple(p for c in ctx.plan.chapters for p in c.pieces)))
    for name, pieces in wanted:
        known = name in manifest and (ctx.folder.root / name).is_file()
        if not known or any(p.key in missing_keys for p in pieces):
            changed.append(name)
        else:
            unchanged.append(name)
    names = {name for name, _ in wanted}
    removed = [n for n in manifest if n.endswith((".mp3", ".m4b")) and n not in names]
    return DryRunReport(
        ctx.folder.root,
        engine,
        tuple(" ".join(s.texts) for s in to_synth),
        reused,
        tuple(changed),
        tuple(unchanged),
        tuple(removed),
    )


def build(
    config: BuildConfig,
    progress: Progress | None = None,
    dry_run: bool = False,
    engine: Engine | None = None,
) -> BuildResult | DryRunReport:
    """Build (or update) the pack for ``config``; the previous pack stays whole on any error."""
    progress = progress or NullProgress()
    manuscript = load(config)
    if dry_run:
        report = asyncio.run(_prepare(config, manuscript, progress, True, engine))
        assert isinstance(report, DryRunReport)
        return report
    folder = PackFolder(config.pack_dir)
    with folder.locked():
        prepared = asyncio.run(_prepare(config, manuscript, progress, False, engine))
        assert not isinstance(prepared, DryRunReport)
        ctx, encoder, synthesized, reused, fallback = prepared
        encoder.finish(progress)
        files, changed = _assemble(ctx, progress)
        duration = ctx.last_duration_s
    return BuildResult(
        pack=config.pack_dir, chapters=len(manuscript.chapters),
        points=sum(len(c.points) for c in manuscript.chapters), duration_s=duration,
        synthesized=synthesized, reused=reused, files=tuple(files), changed=tuple(changed),
        engine=ctx.plan.engine.get("engine", "?"), fallback_reason=fallback,
    )  # fmt: skip
