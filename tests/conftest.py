"""Shared fixtures: a deterministic fake engine and helpers to inspect real audio."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from audiopack.audio.ffmpeg import decode_file_to_pcm
from audiopack.model import SAMPLE_RATE, SegmentAudio, SentenceTiming


class ToneEngine:
    """A deterministic engine: each sentence is a tone burst whose length follows the text.

    Sentences carry 60 ms of silence on both sides (as real engines do) so trimming is tested.
    """

    name = "tone"
    sample_rate = SAMPLE_RATE

    def __init__(self) -> None:
        self.requests: list[tuple[str, ...]] = []

    def fingerprint(self) -> dict[str, str]:
        return {"engine": self.name, "version": "1"}

    async def synthesize(self, sentences: Sequence[str]) -> SegmentAudio:
        self.requests.append(tuple(sentences))
        parts: list[np.ndarray] = []
        timings = []
        position = 0
        pad = np.zeros(int(0.06 * SAMPLE_RATE), dtype=np.int16)
        for text in sentences:
            seconds = max(0.3, 0.12 * len(text))
            frames = int(seconds * SAMPLE_RATE)
            freq = 200 + int(hashlib.sha256(text.encode()).hexdigest()[:4], 16) % 400
            t = np.arange(frames) / SAMPLE_RATE
            tone = (0.3 * 32767 * np.sin(2 * math.pi * freq * t)).astype(np.int16)
            sentence = np.concatenate([pad, tone, pad])
            timings.append(SentenceTiming(text, position, position + len(sentence)))
            parts.append(sentence)
            position += len(sentence)
        return SegmentAudio(np.concatenate(parts).astype("<i2").tobytes(), tuple(timings))

    async def aclose(self) -> None:
        pass


@pytest.fixture
def tone_engine() -> ToneEngine:
    return ToneEngine()


def decode(path: Path) -> np.ndarray:
    """A real decode of an audio file to 24 kHz mono samples."""
    return np.frombuffer(decode_file_to_pcm(str(path)), dtype="<i2")


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if samples.size else 0.0


def starts_after_silence(samples: np.ndarray, start_s: float, tolerance_s: float = 0.1) -> bool:
    """True when the audio is quiet just before ``start_s`` and speech begins within tolerance."""
    start = int(start_s * SAMPLE_RATE)
    window = int(0.1 * SAMPLE_RATE)
    tol = int(tolerance_s * SAMPLE_RATE)
    before = samples[max(0, start - tol - window) : max(0, start - tol)]
    after = samples[start : start + tol + window]
    return rms(before) < 200 and rms(after) > 600


SHORT_MANUSCRIPT = """关于学习的几点体会
同志们：
今天我们在这里开会，主要是交流学习体会。大家要认真准备。
一、提高思想认识
学习是干部成长的阶梯。
一要坚持读原著。原著是源头活水。
二要坚持联系实际。不能学用脱节。
二、改进学习方法
方法得当，事半功倍。
一要制定计划。
二要相互交流。交流才能进步。
同志们，让我们一起努力，把学习抓实抓好！
"""


@pytest.fixture
def short_script(tmp_path: Path) -> Path:
    path = tmp_path / "体会.txt"
    path.write_text(SHORT_MANUSCRIPT, encoding="utf-8")
    return path
