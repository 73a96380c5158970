"""Mapping the Edge service's sentence boundaries onto our sentences.

The service may split or merge sentences differently from ours; its boundaries are placed on
our text by character position and refined at the quietest stretch of audio nearby. Without
usable metadata, the sentences are placed in proportion to their length.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from audiopack.model import SAMPLE_RATE, SentenceTiming

_TICKS_PER_SECOND = 10_000_000
#: Metadata reaching this far past the end of the audio is not trusted.
_METADATA_SLACK_FRAMES = SAMPLE_RATE
#: Below this share of our characters found in the boundary texts, metadata is not trusted.
_MIN_MATCHED_SHARE = 0.5


@dataclass(frozen=True)
class Boundary:
    """One SentenceBoundary of the service, converted to sample frames."""

    text: str
    start_frame: int
    end_frame: int


def ticks_to_frames(ticks: float) -> int:
    return round(ticks * SAMPLE_RATE / _TICKS_PER_SECOND)


def speakable_key(text: str) -> str:
    """Text as compared against boundary texts: without whitespace."""
    return "".join(ch for ch in text if not ch.isspace())


def proportional_timings(sentences: Sequence[str], frames: int) -> tuple[SentenceTiming, ...]:
    """Place the sentences over the segment's whole audio in proportion to their characters."""
    weights = [max(1, len(speakable_key(s))) for s in sentences]
    total = sum(weights)
    timings: list[SentenceTiming] = []
    position = 0
    for sentence, weight in zip(sentences, weights, strict=True):
        end = position + weight
        timings.append(
            SentenceTiming(sentence, frames * (position) // total, frames * end // total)
        )
        position = end
    return tuple(timings)


@dataclass(frozen=True)
class _Segment:
    """A boundary placed on our text: characters [c0, c1) sound during frames [f0, f1)."""

    c0: int
    c1: int
    f0: int
    f1: int

    def frame_at(self, char: int) -> int:
        return self.f0 + (char - self.c0) * (self.f1 - self.f0) // (self.c1 - self.c0)


def _place_boundaries(full: str, boundaries: Sequence[Boundary]) -> tuple[list[_Segment], int]:
    """Find each boundary text in ``full``, in order; return segments and matched characters."""
    segments: list[_Segment] = []
    cursor = matched = 0
    for boundary in boundaries:
        text = speakable_key(boundary.text)
        if not text or cursor >= len(full):
            continue
        position = full.find(text, cursor)
        if position >= 0:
            matched += len(text)
            start, end = position, position + len(text)
        else:  # the service rewrote the text: assume it continues where we are
            start, end = cursor, min(len(full), cursor + len(text))
        segments.append(_Segment(start, end, boundary.start_frame, boundary.end_frame))
        cursor = end
    return segments, matched


def _start_frame_at(segments: Sequence[_Segment], char: int) -> int:
    for segment in segments:
        if segment.c0 <= char < segment.c1:
            return segment.frame_at(char)
        if char < segment.c0:
            return segment.f0
    return segments[-1].f1


def _end_frame_at(segments: Sequence[_Segment], char: int) -> int:
    for segment in reversed(segments):
        if segment.c0 < char <= segment.c1:
            return segment.frame_at(char)
        if char > segment.c1:
            return segment.f1
    return segments[0].f0


def _quiet_stretch(pcm: bytes, estimate: int, lo: int, hi: int) -> tuple[int, int]:
    """The quiet stretch of [lo, hi) nearest ``estimate``, in 10 ms windows: (first, end)."""
    window = SAMPLE_RATE // 100
    samples = np.frombuffer(pcm, dtype="<i2")
    lo, hi = max(0, lo), min(len(samples), hi)
    count = (hi - lo) // window
    if count < 3:
        return estimate, estimate
    blocks = samples[lo : lo + count * window].astype(np.float64).reshape(count, window)
    energy = np.sqrt(np.mean(blocks**2, axis=1))
    threshold = energy.min() + 0.05 * (energy.max() - energy.min()) + 1.0
    quiet = np.flatnonzero(energy <= threshold)
    centres = lo + quiet * window + window // 2
    best = int(quiet[np.argmin(np.abs(centres - estimate))])
    first = last = best
    while first > 0 and energy[first - 1] <= threshold:
        first -= 1
    while last + 1 < count and energy[last + 1] <= threshold:
        last += 1
    return lo + first * window, lo + (last + 1) * window


def align_sentences(
    sentences: Sequence[str], boundaries: Sequence[Boundary], frames: int, pcm: bytes = b""
) -> tuple[SentenceTiming, ...] | None:
    """Map the service's sentence boundaries onto ``sentences``; None if they are unusable.

    Boundary texts are located in our text by character position (ignoring whitespace); a
    sentence starts where its first character starts sounding and ends where its last one
    stops. Where one boundary covers several of our sentences, the split point is interpolated
    by characters and, given ``pcm``, moved onto the quiet stretch nearby (the first sentence
    ends where it starts, the next begins where it ends).
    """
    keys = [speakable_key(s) for s in sentences]
    full = "".join(keys)
    if not full or not boundaries:
        return None
    segments, matched = _place_boundaries(full, boundaries)
    if not segments or matched < _MIN_MATCHED_SHARE * len(full):
        return None
    for previous, segment in itertools.pairwise(segments):
        if segment.f0 < previous.f0:
            return None
    if any(s.f1 < s.f0 or s.f0 < 0 or s.f0 > frames + _METADATA_SLACK_FRAMES for s in segments):
        return None

    timings: list[SentenceTiming] = []
    char = 0
    for sentence, key in zip(sentences, keys, strict=True):
        start = _start_frame_at(segments, char)
        char += len(key)
        end = _end_frame_at(segments, char)
        timings.append(SentenceTiming(sentence, start, end))
    timings = list(_ordered(timings, frames))

    if pcm:
        timings = _refine_inner_splits(timings, segments, keys, pcm, frames)
    return _ordered(timings, frames)


def _ordered(timings: Sequence[SentenceTiming], frames: int) -> tuple[SentenceTiming, ...]:
    """Clamp into [0, frames] and make the timings follow each other without overlap."""
    ordered: list[SentenceTiming] = []
    previous_end = 0
    for timing in timings:
        start = min(max(timing.start_frame, previous_end, 0), frames)
        end = min(max(timing.end_frame, start), frames)
        ordered.append(SentenceTiming(timing.text, start, end))
        previous_end = end
    return tuple(ordered)


def _refine_inner_splits(
    timings: list[SentenceTiming],
    segments: Sequence[_Segment],
    keys: Sequence[str],
    pcm: bytes,
    frames: int,
) -> list[SentenceTiming]:
    """Move split points that fall inside one boundary onto the quiet stretch nearby."""
    char = 0
    for index in range(len(timings) - 1):
        char += len(keys[index])
        inside = [s for s in segments if s.c0 < char < s.c1]
        if not inside:
            continue
        segment = inside[0]
        estimate = timings[index].end_frame
        radius = min(SAMPLE_RATE * 6 // 10, (segment.f1 - segment.f0) // 4)
        lo = max(estimate - radius, timings[index].start_frame)
        hi = min(estimate + radius, timings[index + 1].end_frame, frames)
        quiet_start, quiet_end = _quiet_stretch(pcm, estimate, lo, hi)
        current, following = timings[index], timings[index + 1]
        timings[index] = SentenceTiming(
            current.text, current.start_frame, max(current.start_frame, quiet_start)
        )
        timings[index + 1] = SentenceTiming(
            following.text, quiet_end, max(quiet_end, following.end_frame)
        )
    return timings
