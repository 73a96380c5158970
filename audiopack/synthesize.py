"""Cache-or-synthesise every planned request, concurrently, keeping what succeeded."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from audiopack.cache import Store
from audiopack.engines import Engine
from audiopack.errors import AudiopackError, SynthesisError
from audiopack.planning import SegmentPlan

log = logging.getLogger(__name__)


class Progress(Protocol):
    """A progress sink: the CLI shows a bar, library callers may pass NullProgress."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self, amount: int = 1) -> None: ...

    def finish(self) -> None: ...


class NullProgress:
    def start(self, label: str, total: int) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass(frozen=True)
class SynthesisReport:
    synthesized: int
    reused: int


def segment_store_has(store: Store, key: str) -> bool:
    return store.has(key, ("pcm",))


async def synthesize_all(
    engine: Engine,
    segments: Iterable[SegmentPlan] | AsyncIterable[SegmentPlan],
    store: Store,
    jobs: int,
    progress: Progress,
    on_stored: Callable[[str], None] | None = None,
) -> SynthesisReport:
    """Synthesise each segment not in ``store``; every success is stored at once, so an
    interrupted or failed build loses nothing already made. ``segments`` may still be arriving
    (a plan being made): each request starts as soon as it arrives, and the progress bar shows
    once all have."""
    label = f"synthesising ({engine.name})"
    # Twice the engine's own limit of requests in flight, so that the next requests are ready
    # while earlier answers are being decoded and stored.
    semaphore = asyncio.Semaphore(2 * jobs)
    failures: list[tuple[SegmentPlan, AudiopackError]] = []
    missing: list[SegmentPlan] = []
    tasks: list[asyncio.Task[None]] = []
    running: set[asyncio.Task[None]] = set()
    reused = total = done = 0
    shown = False

    async def one(segment: SegmentPlan) -> None:
        # The slot is held until the audio is stored, not only while it is synthesised: a
        # slow disk would otherwise let finished segments' audio pile up in memory.
        async with semaphore:
            try:
                audio = await engine.synthesize(segment.texts)
            except AudiopackError as e:
                failures.append((segment, e))
                return
            if len(audio.sentences) != len(segment.texts):
                failures.append((segment, SynthesisError("engine returned wrong sentence count")))
                return
            meta = {
                "frames": audio.frames,
                "rate": engine.sample_rate,
                "sentences": [[t.start_frame, t.end_frame] for t in audio.sentences],
                "engine": engine.name,
            }
            await asyncio.to_thread(store.put, segment.key, meta, {"pcm": audio.pcm})
        nonlocal done
        done += len(segment.texts)
        if shown:
            progress.advance(len(segment.texts))
        if on_stored is not None:
            on_stored(segment.key)

    async def arrivals() -> None:
        nonlocal reused, total, shown
        async for segment in _as_async(segments):
            if failures:
                return
            if segment_store_has(store, segment.key):
                reused += 1
                continue
            missing.append(segment)
            total += len(segment.texts)
            tasks.append(asyncio.create_task(one(segment)))
            running.add(tasks[-1])
        if total:
            progress.start(label, total)
            progress.advance(done)
            shown = True

    # The first request that fails for good stops the build: an unreachable service is
    # reported after one request's retries, not after every request's. What was synthesised
    # before is stored and reused by the next run.
    feeder = asyncio.create_task(arrivals())
    try:
        while not failures and (running or not feeder.done()):
            waiting = running if feeder.done() else {*running, feeder}
            finished, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            running.difference_update(finished)
            for task in finished:
                task.result()  # an unexpected error (not AudiopackError) propagates
    finally:
        for task in (feeder, *tasks):
            task.cancel()
        await asyncio.gather(feeder, *tasks, return_exceptions=True)
        progress.finish()
    if failures:
        order = {segment.key: index for index, segment in enumerate(missing)}
        failures.sort(key=lambda failure: order[failure[0].key])  # in manuscript order
        first = failures[0][1]
        names = "; ".join(s.label or f"“{s.texts[0][:16]}…”" for s, _ in failures[:3])
        more = f" and {len(failures) - 3} more" if len(failures) > 3 else ""
        raise SynthesisError(
            f"{len(failures)} request(s) failed ({first}): {names}{more}; "
            "what was synthesised is cached, run the build again to continue"
        )
    return SynthesisReport(len(missing), reused)


async def _as_async(
    items: Iterable[SegmentPlan] | AsyncIterable[SegmentPlan],
) -> AsyncIterator[SegmentPlan]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


def load_segment(store: Store, key: str) -> tuple[bytes, list[tuple[int, int]]] | None:
    """A stored segment's PCM and sentence spans, or None when missing/corrupt."""
    meta = store.meta(key)
    pcm = store.read_blob(key, "pcm")
    if meta is None or pcm is None:
        return None
    try:
        spans = [(int(a), int(b)) for a, b in meta["sentences"]]
    except (KeyError, TypeError, ValueError):
        log.warning("cache entry %s has bad metadata: %s", key[:12], json.dumps(meta)[:80])
        return None
    return pcm, spans
