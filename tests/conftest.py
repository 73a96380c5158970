"""Shared fixtures: a deterministic fake engine, a build with it, helpers to inspect real
audio and packs, and commands stopped with Ctrl-C."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import signal
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audiopack import pipeline
from audiopack.audio.ffmpeg import decode_file_to_pcm
from audiopack.config import BuildConfig
from audiopack.model import SAMPLE_RATE, SegmentAudio, SentenceTiming
from audiopack.pipeline import BuildResult


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


def build_pack(script: Path, out: Path, engine: ToneEngine, **kw: Any) -> BuildResult:
    """A real build of ``script`` into ``out`` with ``engine``; ``kw``: other BuildConfig fields."""
    config = BuildConfig(manuscript=script, output_dir=out, engine="espeak", **kw)
    result = pipeline.build(config, engine=engine)
    assert isinstance(result, BuildResult)
    return result


def read_index(pack: Path) -> Any:
    """The pack's index.json."""
    return json.loads((pack / "index.json").read_text("utf-8"))


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


def interruptible(command: Sequence[str], **kw: Any) -> subprocess.Popen[Any]:
    """``command`` started with its output piped, so that Ctrl-C (SIGINT) stops it as it would
    in a terminal; ``kw``: more ``Popen`` arguments."""
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # a shell's background job starts with SIGINT ignored, and Python keeps it so
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        **kw,
    )


@dataclass
class ServerRun:
    """A server process: the URL it printed first; once stopped, the rest of its output."""

    url: str
    out: str = ""
    err: str = ""
    returncode: int | None = None


@contextlib.contextmanager
def server_until_ctrl_c(command: Sequence[str]) -> Iterator[ServerRun]:
    """Run the server ``command`` (it prints its URL as its first line) for the block, then
    press Ctrl-C and keep what it printed and its exit code; on an error it is killed."""
    proc = interruptible(command, text=True)
    try:
        assert proc.stdout is not None
        run = ServerRun(proc.stdout.readline().strip())
        yield run
        proc.send_signal(signal.SIGINT)
        run.out, run.err = proc.communicate(timeout=30)
        run.returncode = proc.returncode
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
