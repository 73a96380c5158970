"""An independent reader of the pack's containers: libavformat through PyAV (a pip install,
so these checks run on every machine, not only where ffprobe happens to be installed)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av


@dataclass(frozen=True)
class ProbedChapter:
    title: str
    start_s: float
    end_s: float
    time_base: Fraction


@dataclass(frozen=True)
class Probe:
    chapters: tuple[ProbedChapter, ...]
    audio_start_s: float
    duration_s: float
    #: What libavformat logged at warning level or above while opening the file.
    complaints: tuple[str, ...]


def probe(path: Path) -> Probe:
    with av.logging.Capture() as logs, av.open(str(path)) as container:
        chapters = tuple(
            ProbedChapter(
                title=str(c["metadata"].get("title", "")),
                start_s=float(c["start"] * c["time_base"]),
                end_s=float(c["end"] * c["time_base"]),
                time_base=c["time_base"],
            )
            for c in container.chapters()
        )
        stream = container.streams.audio[0]
        start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
        duration = float(container.duration / av.time_base) if container.duration else 0.0
    complaints = tuple(msg for level, _name, msg in logs if level <= av.logging.WARNING)
    return Probe(chapters, start, duration, complaints)
