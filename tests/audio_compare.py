"""Comparing audio decoded by two different decoder builds.

Two FFmpeg versions (PyAV's bundled one and a distribution's ``ffmpeg``) do not promise the same
samples: rounding differs by a least significant bit, and some MP3 granules decode a little
differently (seen with Debian's FFmpeg 5.1 against PyAV's: up to ~100 LSB in a few granules, about
-40 dB below the signal, where the MP3 coding error itself is about -17 dB). A decoder may also
emit or skip one frame of priming at the start. What no correct decoder does is drop, repeat,
shift or garble a frame in the middle; :func:`assert_same_audio` allows the former and fails on
the latter.
"""

from __future__ import annotations

import numpy as np

#: A block's difference may be this far below the block's own level (RMS) ...
RMS_RATIO = 1 / 30  # about -30 dB
#: ... and no sample may differ by more than this share of the block's peak ...
PEAK_RATIO = 1 / 10
#: ... or by more than this many LSB in quiet blocks.
LSB = 1


def _samples(pcm: bytes | np.ndarray) -> np.ndarray:
    if isinstance(pcm, bytes | bytearray):
        return np.frombuffer(pcm, dtype="<i2").astype(np.int64)
    return np.asarray(pcm).astype(np.int64)


def _best_shift(a: np.ndarray, b: np.ndarray, max_shift: int) -> int:
    """The lag (``a[i + lag]`` ~ ``b[i]``) within ``max_shift`` with the smallest difference."""
    best, best_err = 0, None
    span = min(len(a), len(b)) - max_shift
    if span <= 0:
        return 0
    for lag in range(-max_shift, max_shift + 1):
        x = a[max(0, lag) : max(0, lag) + span]
        y = b[max(0, -lag) : max(0, -lag) + span]
        err = int(np.abs(x - y).sum())
        if best_err is None or err < best_err or (err == best_err and abs(lag) < abs(best)):
            best, best_err = lag, err
    return best


def mismatch(
    actual: bytes | np.ndarray,
    expected: bytes | np.ndarray,
    *,
    block: int = 576,
    max_shift: int = 0,
) -> str | None:
    """Why ``actual`` is not ``expected`` decoded by another build, or None when it is.

    ``block``: the samples compared as one unit (an MP3 granule: 576). ``max_shift``: how many
    samples of priming one side may have more than the other (at the start; the ends must then
    agree, so a frame lost at the end is caught too).
    """
    a, b = _samples(actual), _samples(expected)
    if abs(len(a) - len(b)) > max_shift:
        return f"lengths differ by {len(a) - len(b)} samples (more than {max_shift})"
    if len(a) == len(b) and _blocks(a, b, block, 0) is None:
        return None  # the usual case, without searching for a shift
    lag = _best_shift(a, b, max_shift) if max_shift else 0
    if len(a) - len(b) != lag:  # priming shifts the start, and the end with it
        return f"lengths differ by {len(a) - len(b)} samples but the audio by {lag}"
    return _blocks(a[max(0, lag) :], b[max(0, -lag) :], block, lag)


def _blocks(a: np.ndarray, b: np.ndarray, block: int, lag: int) -> str | None:
    """The first block where ``a`` and ``b`` (aligned) differ by more than builds do."""
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    for start in range(0, n, block):
        x, y = a[start : start + block], b[start : start + block]
        diff = np.abs(x - y)
        if not diff.any():
            continue
        level = float(np.sqrt(np.mean(y.astype(np.float64) ** 2)))
        rms = float(np.sqrt(np.mean(diff.astype(np.float64) ** 2)))
        peak = int(diff.max())
        if peak <= LSB:
            continue
        if rms > RMS_RATIO * level or peak > PEAK_RATIO * max(1, int(np.abs(y).max())):
            return (
                f"block {start // block} (sample {start}, shift {lag}): difference RMS {rms:.1f}"
                f" and peak {peak} against a level of {level:.1f}"
            )
    return None


def assert_same_audio(
    actual: bytes | np.ndarray,
    expected: bytes | np.ndarray,
    *,
    block: int = 576,
    max_shift: int = 0,
) -> None:
    """Fail unless ``actual`` and ``expected`` are the same audio (see :func:`mismatch`)."""
    reason = mismatch(actual, expected, block=block, max_shift=max_shift)
    assert reason is None, reason
