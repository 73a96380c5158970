"""build(): the stages in order — read, structure, plan, synthesise, encode, assemble, commit."""

from __future__ import annotations

import asyncio
import datetime
import functools
import hashlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from audiopack.atomic import atomic_write_text
from audiopack.audio import codec as audio_codec
from audiopack.audio.jingles import jingle_pieces, with_jingles
from audiopack.audio.jingles import prepare as prepare_jingles
from audiopack.audio.pieces import PieceEncoder, piece_ready
from audiopack.cache import Store
from audiopack.config import BuildConfig
from audiopack.engines import Engine
from audiopack.model import SAMPLE_RATE, Manuscript
from audiopack.output.assemble import Cover, PackContext, assemble, audio_files
from audiopack.output.pack import STATE_DIR, PackFolder
from audiopack.planning import BuildPlan, Pauses, PiecePlan, SegmentPlan, SpeechMemo, make_plan
from audiopack.results import BuildResult, DryRunReport
from audiopack.speech.sentences import SpeechOptions
from audiopack.synthesize import NullProgress, Progress, synthesize_all

if TYPE_CHECKING:
    from audiopack.engines.factory import EngineChoice

log = logging.getLogger(__name__)

CACHE_SUBDIR = "cache"


def load(config: BuildConfig) -> Manuscript:
    from audiopack.text.structure import load_manuscript

    return load_manuscript(
        config.manuscript,
        title=config.title,
        read_boilerplate=config.read_boilerplate,
        split=config.split,
    )


def cache_root(config: BuildConfig) -> Path:
    return config.cache_dir if config.cache_dir else config.pack_dir / ".audiopack" / CACHE_SUBDIR


def codecs_for(config: BuildConfig, rate: int = SAMPLE_RATE) -> tuple[audio_codec.Codec, ...]:
    """The encodings the formats need, at ``rate``: the engine's own, so that nothing is
    resampled (eSpeak NG speaks at 22.05 kHz, the Edge voices at 24 kHz)."""
    wanted = []
    if config.format_set & {"mp3", "book-mp3"}:
        wanted.append(audio_codec.mp3_codec(config.mp3_bitrate_k, rate))
    if "m4b" in config.format_set:
        wanted.append(audio_codec.aac_codec(config.aac_quality, rate))
    return tuple(wanted)


def speech_options(
    config: BuildConfig, engine_name: str, input_form: Literal["text", "pinyin"] = "text"
) -> SpeechOptions:
    from audiopack.speech.sentences import load_lexicon

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
        words = data.get("words")
        if isinstance(words, dict):
            memo.load_words(words)
    return memo


def _save_memo(config: BuildConfig, memo: SpeechMemo) -> None:
    path = config.pack_dir / STATE_DIR / MEMO_FILE
    try:
        atomic_write_text(
            path,
            json.dumps(
                {"options": memo.options_key, "entries": memo.used, "words": memo.words_to_save()},
                ensure_ascii=False,
            ),
            durable=False,  # a lost memo only costs the next build its speed
        )
    except OSError as e:  # only an optimisation: never fail a build over it
        log.debug("cannot save the speech memo: %s", e)


def _pauses(config: BuildConfig) -> Pauses:
    return Pauses(config.pause_sentence_s, config.pause_point_s, config.pause_heading_s)


# --- pieces -------------------------------------------------------------------------------


def _source_info(path: Path) -> dict[str, str]:
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        digest = ""
    return {"file": path.name, "sha256": digest}


def _missing(ctx: PackContext) -> tuple[list[PiecePlan], list[Any], int]:
    """Pieces to encode, the segments they need that are not cached (verified), reused count."""
    missing_pieces = [p for p in ctx.plan.pieces if not piece_ready(ctx.pieces, p, ctx.codecs)]
    needed: dict[str, Any] = {}
    for piece in missing_pieces:
        for segment in piece.segments:
            needed.setdefault(segment.key, segment)
    to_synth = [s for k, s in needed.items() if ctx.segments.meta(k, verify=True) is None]
    total = len(ctx.plan.segments)
    return missing_pieces, to_synth, total - len(to_synth)


async def _prepare(
    config: BuildConfig,
    manuscript: Manuscript,
    progress: Progress,
    dry_run: bool,
    engine_override: Engine | None = None,
) -> tuple[PackContext, PieceEncoder, int, int, str | None] | DryRunReport:
    """Open the engine, plan, synthesise what is missing while encoding pieces whose speech is
    ready (or, for a dry run, report what would be done)."""
    from audiopack.engines.factory import EngineChoice, open_engine

    choice = EngineChoice(engine_override) if engine_override else await open_engine(config)
    engine = choice.engine
    try:
        options = speech_options(config, engine.name, getattr(engine, "input_form", "text"))
        codecs = codecs_for(config, engine.sample_rate)
        memo = _load_memo(config, options)
        planning = functools.partial(
            make_plan, manuscript, engine.fingerprint(), memo, _pauses(config), codecs,
            engine.sample_rate,
        )  # fmt: skip
        root = cache_root(config)
        segments, pieces = Store(root, "segments"), Store(root, "pieces")
        jingles = jingle_pieces(config, codecs, engine.sample_rate)
        if dry_run:
            plan = with_jingles(planning(), jingles)
            ctx = _context(config, manuscript, plan, (segments, pieces), codecs, choice)
            missing_pieces, to_synth, reused = _missing(ctx)
            return _dry_run(ctx, missing_pieces, to_synth, reused, engine.name)
        # Before any synthesis: a bad file stops the build here.
        prepare_jingles(config, jingles, pieces, codecs, engine.sample_rate)
        encoder = PieceEncoder(segments, pieces, codecs, engine.sample_rate)
        try:
            plan, synthesized = await _plan_and_synthesize(
                planning, engine, segments, encoder, config.jobs, progress
            )
        except BaseException:
            encoder.abort()
            raise
        if memo.changed:
            _save_memo(config, memo)
        plan = with_jingles(plan, jingles)
        ctx = _context(config, manuscript, plan, (segments, pieces), codecs, choice)
    finally:
        await engine.aclose()
    return ctx, encoder, synthesized, len(plan.segments) - synthesized, choice.fallback_reason


def _context(
    config: BuildConfig,
    manuscript: Manuscript,
    plan: BuildPlan,
    stores: tuple[Store, Store],
    codecs: tuple[audio_codec.Codec, ...],
    choice: EngineChoice,
) -> PackContext:
    fallback = {"fallback": choice.fallback_reason} if choice.fallback_reason else {}
    folder = PackFolder(config.pack_dir)
    return PackContext(
        config=config,
        plan=plan,
        segments=stores[0],
        pieces=stores[1],
        codecs=codecs,
        folder=folder,
        engine_info={"name": choice.engine.name, **plan.engine, **fallback},
        source=_source_info(config.manuscript),
        cover=Cover(config, manuscript.title, folder),
        year=str(datetime.date.today().year),
    )


async def _plan_and_synthesize(
    planning: Callable[..., BuildPlan],
    engine: Engine,
    segments: Store,
    encoder: PieceEncoder,
    jobs: int,
    progress: Progress,
) -> tuple[BuildPlan, int]:
    """Plan on a worker thread and synthesise the missing speech of each piece as soon as the
    piece is planned: the first requests run while the rest of the text is still being read.
    Each piece goes to ``encoder`` with the segments it waits for."""
    loop = asyncio.get_running_loop()
    planned: asyncio.Queue[PiecePlan | None] = asyncio.Queue()
    stop = threading.Event()

    def tell(piece: PiecePlan) -> None:
        if stop.is_set():  # synthesis failed or was interrupted: planning on is wasted
            raise _PlanningStopped
        loop.call_soon_threadsafe(planned.put_nowait, piece)

    plan_task = asyncio.ensure_future(asyncio.to_thread(planning, on_piece=tell))
    plan_task.add_done_callback(lambda _: planned.put_nowait(None))
    requested: set[str] = set()
    stored: set[str] = set()
    seen: set[str] = set()

    async def requests() -> AsyncIterator[SegmentPlan]:
        while (piece := await planned.get()) is not None:
            if piece.key in seen or piece_ready(encoder.pieces, piece, encoder.codecs):
                continue
            seen.add(piece.key)
            for segment in piece.segments:
                if segment.key not in requested and segments.meta(segment.key, verify=True) is None:
                    requested.add(segment.key)
                    yield segment
            encoder.add(piece, {s.key for s in piece.segments if s.key in requested} - stored)

    def on_stored(key: str) -> None:
        stored.add(key)
        encoder.segment_stored(key)

    try:
        report = await synthesize_all(engine, requests(), segments, jobs, progress, on_stored)
    except BaseException:
        stop.set()
        await asyncio.wait({plan_task})  # the worker thread cannot be cancelled: let it end
        if not plan_task.cancelled():
            plan_task.exception()  # seen: the error being raised is the one to report
        raise
    return await plan_task, report.synthesized


class _PlanningStopped(Exception):
    """Ends the planning thread early when the build is already failing."""


def _dry_run(
    ctx: PackContext, missing_pieces: list[PiecePlan], to_synth: list[Any], reused: int, engine: str
) -> DryRunReport:
    missing_keys = {p.key for p in missing_pieces}
    manifest = ctx.folder.manifest().get("files", {})
    changed, unchanged = [], []
    wanted = audio_files(ctx)
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


def plan_build(
    config: BuildConfig, progress: Progress | None = None, engine: Engine | None = None
) -> DryRunReport:
    """What a build of ``config`` would synthesise and write; nothing is changed."""
    report = asyncio.run(_prepare(config, load(config), progress or NullProgress(), True, engine))
    assert isinstance(report, DryRunReport)
    return report


def build(
    config: BuildConfig, progress: Progress | None = None, engine: Engine | None = None
) -> BuildResult:
    """Build (or update) the pack for ``config``; the previous pack stays whole on any error."""
    progress = progress or NullProgress()
    manuscript = load(config)
    folder = PackFolder(config.pack_dir)
    with folder.locked():
        prepared = asyncio.run(_prepare(config, manuscript, progress, False, engine))
        assert not isinstance(prepared, DryRunReport)
        ctx, encoder, synthesized, reused, fallback = prepared
        encoder.finish(progress)
        files, changed = assemble(ctx, progress)
        duration = ctx.last_duration_s
    return BuildResult(
        pack=config.pack_dir, chapters=len(manuscript.chapters),
        points=sum(len(c.points) for c in manuscript.chapters), duration_s=duration,
        synthesized=synthesized, reused=reused, files=tuple(files), changed=tuple(changed),
        engine=ctx.plan.engine.get("engine", "?"), fallback_reason=fallback,
    )  # fmt: skip
