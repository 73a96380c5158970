"""Cache-or-synthesise every planned request, concurrently, keeping what succeeded."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
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
    segments: Sequence[SegmentPlan],
    store: Store,
    jobs: int,
    progress: Progress,
    on_stored: Callable[[str], None] | None = None,
) -> SynthesisReport:
    """Synthesise each segment not in ``store``; every success is stored at once, so an
    interrupted or failed build loses nothing already made."""
    missing = [s for s in segments if not segment_store_has(store, s.key)]
    reused = len(segments) - len(missing)
    if not missing:
        return SynthesisReport(0, reused)
    progress.start(f"synthesising ({engine.name})", sum(len(s.texts) for s in missing))
    # Twice the engine's own limit of requests in flight, so that the next requests are ready
    # while earlier answers are being decoded and stored.
    semaphore = asyncio.Semaphore(2 * jobs)
    failures: list[tuple[SegmentPlan, AudiopackError]] = []

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
        progress.advance(len(segment.texts))
        if on_stored is not None:
            on_stored(segment.key)

    # The first request that fails for good stops the build: an unreachable service is
    # reported after one request's retries, not after every request's. What was synthesised
    # before is stored and reused by the next run.
    tasks = [asyncio.create_task(one(segment)) for segment in missing]
    try:
        pending: set[asyncio.Task[None]] = set(tasks)
        while pending and not failures:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # an unexpected error (not AudiopackError) propagates
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
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
