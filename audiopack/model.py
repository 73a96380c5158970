"""Values passed between pipeline stages: frozen dataclasses holding tuples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Clips are 16-bit signed little-endian mono PCM at their engine's own rate (an engine's
#: ``sample_rate``, which a whole pack shares); this one is the Edge voices' and the default.
SAMPLE_RATE = 24000
SAMPLE_WIDTH = 2

#: "jingle" only for the user's own audio laid before or after the speech (index.json only).
ChapterKind = Literal["opening", "section", "closing", "jingle"]


@dataclass(frozen=True)
class Point:
    """One paragraph-level unit of a chapter; ``text`` is exactly the displayed text."""

    title: str
    text: str
    numbered: bool = False


@dataclass(frozen=True)
class Chapter:
    kind: ChapterKind
    title: str
    points: tuple[Point, ...]
    #: The heading line as it stands in the manuscript ("一、坚定…"); spoken first. Empty if none.
    heading: str = ""


@dataclass(frozen=True)
class Manuscript:
    title: str
    chapters: tuple[Chapter, ...]


@dataclass(frozen=True)
class SentenceTiming:
    """Where one sentence lies inside a clip, in sample frames."""

    text: str
    start_frame: int
    end_frame: int


@dataclass(frozen=True)
class Clip:
    """Synthesised audio of one request: PCM (see SAMPLE_RATE) and per-sentence timings."""

    pcm: bytes
    sentences: tuple[SentenceTiming, ...]

    @property
    def frames(self) -> int:
        return len(self.pcm) // SAMPLE_WIDTH
