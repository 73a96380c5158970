"""Speech engines behind one small interface, looked up by name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from audiopack.model import SegmentAudio

#: Engines given the reading layer's toned pinyin (their class attribute ``input_form`` says
#: the same; this table answers without opening the engine).
PINYIN_ENGINES = frozenset({"espeak", "kokoro"})

#: Points the edge engine at another service (the tests' local fake): a ws:// or wss:// URL.
EDGE_URL_ENV = "AUDIOPACK_EDGE_URL"


class Engine(Protocol):
    """A text-to-speech engine.

    ``synthesize`` receives the sentences of one segment (one request; speech text, already
    normalised) and returns its SegmentAudio: mono PCM at ``sample_rate`` whose ``sentences``
    has exactly one timing per input sentence, in order, each covering that sentence's speech
    (leading/trailing silence may be included; the stitcher trims it). The whole pack is made
    at the engine's own rate, so nothing is resampled.
    """

    name: str
    sample_rate: int

    def fingerprint(self) -> dict[str, str]:
        """Everything that changes the audio (engine version, voice, rate...), for cache keys."""
        ...

    async def synthesize(self, sentences: Sequence[str]) -> SegmentAudio: ...

    async def aclose(self) -> None:
        """Release resources (threads, sessions)."""
        ...


def input_form(engine_name: str) -> Literal["text", "pinyin"]:
    """What the named engine is given: speech text, or reading strings (toned pinyin)."""
    return "pinyin" if engine_name in PINYIN_ENGINES else "text"
