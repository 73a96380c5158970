"""Pieces of audio: trimming speech and laying it out on the encoders' common frame grid.

A *piece* is the audio of one heading or point. Its PCM length is chosen so that both encoders
produce whole frames with nothing left over: with N ≡ -ENCODER_PAD (mod GRID) samples, LAME
(576-sample frames) and ffmpeg's AAC encoder (1024-sample frames) both emit exactly
N + ENCODER_PAD decoded samples. Pieces can therefore be encoded once, cached, and joined into
chapter MP3s and the M4B by byte concatenation, and the MP3 and AAC timelines agree exactly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from audiopack.model import SAMPLE_RATE

log = logging.getLogger(__name__)

GRID = 9216  # lcm(576, 1024): MP3 and AAC frame boundaries coincide every GRID samples
ENCODER_PAD = 1152  # extra decoded samples both encoders add to a GRID-aligned piece
MP3_DELAY = 1105  # LAME encoder + decoder delay: where sample 0 of a piece is heard
AAC_DELAY = 1024  # AAC priming samples
SILENCE_THRESHOLD = 330  # about -40 dBFS: quieter is treated as silence when trimming
TRIM_MARGIN = int(0.02 * SAMPLE_RATE)  # keep 20 ms around speech so soft onsets survive

if TYPE_CHECKING:  # numpy.typing costs 20 ms to import: a tenth of a no-op rebuild
    import numpy.typing as npt

    Int16Array = npt.NDArray[np.int16]
    FloatArray = npt.NDArray[np.float64]


def seconds_to_frames(seconds: float, rate: int = SAMPLE_RATE) -> int:
    return round(seconds * rate)


def frames_to_seconds(frames: int, rate: int = SAMPLE_RATE) -> float:
    return round(frames / rate, 3)


def pcm_array(pcm: bytes) -> Int16Array:
    return np.frombuffer(pcm, dtype="<i2")


def speech_bounds(samples: Int16Array) -> tuple[int, int]:
    """First and last audible sample (with a small margin); (0, 0) for silence."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > SILENCE_THRESHOLD)
    if loud.size == 0:
        return 0, 0
    return max(0, int(loud[0]) - TRIM_MARGIN), min(len(samples), int(loud[-1]) + TRIM_MARGIN + 1)


@dataclass(frozen=True)
class PieceAudio:
    """Laid-out PCM of one piece and where each sentence's speech lies in it (sample frames)."""

    samples: Int16Array
    spans: tuple[tuple[int, int], ...]

    @property
    def decoded_frames(self) -> int:
        """Length of the piece once encoded and decoded (MP3 and AAC alike)."""
        return len(self.samples) + ENCODER_PAD


def aligned_length(content_frames: int) -> int:
    """The smallest piece length >= content_frames that encodes to whole frames in both codecs."""
    blocks = -(-(content_frames + ENCODER_PAD) // GRID)
    return max(1, blocks) * GRID - ENCODER_PAD


def lay_out_piece(
    sentences: Sequence[Int16Array | None], lead_frames: int, gap_frames: int, tail_frames: int
) -> PieceAudio:
    """Join trimmed sentence audio with exact pauses; ``None`` marks an unspoken sentence.

    Collects the parts and joins them once (linear time), then pads the tail to the grid.
    """
    parts: list[Int16Array] = [np.zeros(lead_frames, dtype="<i2")]
    spans: list[tuple[int, int]] = []
    position = lead_frames
    spoken_before = False
    for audio in sentences:
        if audio is None:
            spans.append((position, position))
            continue
        start, end = speech_bounds(audio)
        if end <= start:
            spans.append((position, position))
            continue
        if spoken_before:
            parts.append(np.zeros(gap_frames, dtype="<i2"))
            position += gap_frames
        parts.append(audio[start:end])
        spans.append((position, position + end - start))
        position += end - start
        spoken_before = True
    total = aligned_length(position + tail_frames)
    parts.append(np.zeros(total - position, dtype="<i2"))
    return PieceAudio(np.concatenate(parts).astype("<i2"), tuple(spans))
