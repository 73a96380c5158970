"""Watch mode: rebuild incrementally whenever the manuscript is saved (watchfiles, debounced)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from audiopack.config import BuildConfig
from audiopack.errors import AudiopackError
from audiopack.results import BuildResult

log = logging.getLogger(__name__)


def _describe(result: BuildResult) -> str:
    media = [n for n in result.changed if n.endswith((".mp3", ".m4b"))]
    changed = ", ".join(media) if media else "no audio files"
    return f"rebuilt: {result.synthesized} synthesised, {result.reused} reused; changed {changed}"


def watch_and_build(
    config: BuildConfig,
    debounce_s: float,
    report: Callable[[str], None],
    complain: Callable[[str], None],
    stop: threading.Event | None = None,
) -> None:
    """Build once, then again after every save; errors are reported and watching goes on."""
    from watchfiles import watch

    from audiopack.pipeline import build

    target = config.manuscript.resolve()
    if not target.is_file():
        raise AudiopackError(f"manuscript not found: {config.manuscript}")

    def attempt() -> None:
        try:
            report(_describe(build(config)))
        except AudiopackError as e:
            complain(f"Error: {e} (still watching)")

    attempt()
    report(f"watching {config.manuscript} (Ctrl-C to stop)")
    for changes in watch(
        target.parent,
        watch_filter=lambda _change, path: Path(path).resolve() == target,
        debounce=max(1, int(debounce_s * 1000)),
        stop_event=stop,
        raise_interrupt=False,
    ):
        if not target.is_file():
            complain(f"{config.manuscript} was removed (still watching)")
            continue
        log.info("manuscript changed: %s", changes)
        attempt()
