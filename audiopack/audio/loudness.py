"""Loudness: ITU-R BS.1770 measurement (K-weighting, gating) and normalisation under a peak
ceiling, vectorised with numpy."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from audiopack.model import SAMPLE_RATE

TARGET_LUFS = -16.0
#: Encoding at speech bitrates drops high frequencies that K-weighting counts (measured here:
#: -0.5 to -0.9 LU for MP3 at 64 kbps, -0.3 LU for AAC), so pieces aim a little higher.
ENCODING_LOSS_LU = 0.6
PEAK_LIMIT = 10 ** (-3.0 / 20)  # sample-peak ceiling leaving room for true peak <= -1.5 dBTP

if TYPE_CHECKING:  # numpy.typing costs 20 ms to import: a tenth of a no-op rebuild
    import numpy.typing as npt

    Int16Array = npt.NDArray[np.int16]
    FloatArray = npt.NDArray[np.float64]
    ComplexArray = npt.NDArray[np.complex128]


def _biquad(kind: str, gain_db: float, q: float, fc: float, rate: int) -> list[float]:
    """RBJ cookbook biquads, as BS.1770's K-weighting is usually built (pyloudnorm does too);
    returns one second-order section [b0, b1, b2, 1, a1, a2]."""
    a_gain = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * fc / rate
    alpha = np.sin(w0) / (2 * q)
    cos, root = np.cos(w0), np.sqrt(a_gain)
    if kind == "high_shelf":
        b = [
            a_gain * ((a_gain + 1) + (a_gain - 1) * cos + 2 * root * alpha),
            -2 * a_gain * ((a_gain - 1) + (a_gain + 1) * cos),
            a_gain * ((a_gain + 1) + (a_gain - 1) * cos - 2 * root * alpha),
        ]
        a = [
            (a_gain + 1) - (a_gain - 1) * cos + 2 * root * alpha,
            2 * ((a_gain - 1) - (a_gain + 1) * cos),
            (a_gain + 1) - (a_gain - 1) * cos - 2 * root * alpha,
        ]
    else:  # high pass
        b = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]
        a = [1 + alpha, -2 * cos, 1 - alpha]
    return [float(x / a[0]) for x in (*b, *a)]  # fmt: skip


@functools.lru_cache(maxsize=4)
def _k_weighting(rate: int = SAMPLE_RATE) -> FloatArray:
    """The K-weighting filter (high shelf, then 38 Hz high pass) as second-order sections."""
    return np.array([_biquad("high_shelf", 4.0, 1 / np.sqrt(2), 1500.0, rate),
                     _biquad("high_pass", 0.0, 0.5, 38.0, rate)])  # fmt: skip


#: Block length of the overlap-save FFT filter: one size for every piece, so the filter's
#: response is computed once per sample rate.
_BLOCK = 1 << 15
#: How long the K-weighting's impulse response lasts before it is negligible (below 1e-19
#: of its start at speech rates): each block carries this much of the signal before it.
_FILTER_MEMORY_S = 0.19


def _k_weighted(signal: FloatArray, rate: int = SAMPLE_RATE) -> FloatArray:
    """``signal`` through the K-weighting filter, as a recursive filter starting at rest would
    give it, by overlap-save FFT convolution with numpy alone: ``scipy.signal`` takes over
    half a second to import, as long as a whole rebuild after a one-sentence edit.

    The blocks are transformed together, and every piece uses the same block length, so
    the filter's response is computed once (an FFT the length of each piece would need a
    response per length, which cost more than the filtering).
    """
    memory = _memory(rate)
    step = _BLOCK - memory
    count = len(signal)
    blocks = max(1, -(-count // step))
    padded = np.zeros(memory + blocks * step, dtype=np.float64)
    padded[memory : memory + count] = signal
    framed = np.lib.stride_tricks.as_strided(
        padded, (blocks, _BLOCK), (step * padded.itemsize, padded.itemsize), writeable=False
    )
    spectrum = np.fft.rfft(framed, axis=1)
    spectrum *= _k_response(rate)
    filtered: FloatArray = np.fft.irfft(spectrum, _BLOCK, axis=1)[:, memory:].reshape(-1)
    return filtered[:count]


def _memory(rate: int) -> int:
    """Samples of the past each block carries: the filter's memory, rounded up to 1024."""
    return 1024 * -(-int(_FILTER_MEMORY_S * rate) // 1024)


@functools.lru_cache(maxsize=4)
def _k_response(rate: int) -> ComplexArray:
    """The K-weighting filter's frequency response at the bins of a ``_BLOCK``-point real
    FFT (its impulse response wraps around the block only after it has died away)."""
    z_inverse = np.exp(-1j * np.pi * np.arange(_BLOCK // 2 + 1) / (_BLOCK // 2))
    response = np.ones(_BLOCK // 2 + 1, dtype=np.complex128)
    for b0, b1, b2, _a0, a1, a2 in _k_weighting(rate):
        response *= (b0 + z_inverse * (b1 + z_inverse * b2)) / (
            1 + z_inverse * (a1 + z_inverse * a2)
        )
    response.flags.writeable = False
    return response


def _gated_loudness(signal: FloatArray, rate: int) -> float | None:
    """BS.1770 gating over 400 ms blocks with 75 % overlap, vectorised.

    pyloudnorm loops over blocks in Python, which costs seconds on a long book: here block
    energies come from 100 ms hop sums.
    """
    weighted = _k_weighted(signal, rate)
    step = rate // 10
    hops = len(weighted) // step
    if hops < 4:
        return None
    return _loudness_from_hops(
        np.einsum("ij,ij->i", *(weighted[: hops * step].reshape(hops, step),) * 2), step
    )


def _loudness_from_hops(hop_energy: FloatArray, step: int) -> float | None:
    """Gated loudness from the K-weighted energy of consecutive 100 ms hops of ``step``
    samples: blocks of 400 ms overlapping by 75 % are four hops each."""
    if len(hop_energy) < 4:
        return None
    z = (hop_energy[:-3] + hop_energy[1:-2] + hop_energy[2:-1] + hop_energy[3:]) / (4 * step)
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10 * np.log10(z)
    above_absolute = loudness >= -70.0
    if not above_absolute.any():
        return None
    relative = -0.691 + 10 * np.log10(z[above_absolute].mean()) - 10.0
    gated = z[above_absolute & (loudness > relative)]
    if gated.size == 0:
        return None
    return float(-0.691 + 10 * np.log10(gated.mean()))


def _running_min(values: FloatArray, size: int) -> FloatArray:
    """Minimum over a centred window of ``size`` (odd), edges padded with 1 (no reduction)."""
    half = size // 2
    padded = np.pad(values, half, constant_values=1.0)
    count = len(values)
    result = padded[:count].copy()
    for shift in range(1, size):
        np.minimum(result, padded[shift : shift + count], out=result)
    return result


LIMITER_HOP = 48  # 2 ms: the limiter decides its gain per hop and ramps between hops


def _hops(values: FloatArray) -> FloatArray:
    """``values`` as rows of LIMITER_HOP samples, the last one padded with zeros. A piece's
    length is a multiple of the hop (see aligned_length), so this is usually a free view."""
    remainder = (-len(values)) % LIMITER_HOP
    if remainder:
        values = np.pad(values, (0, remainder))
    return values.reshape(-1, LIMITER_HOP)


def _hop_peaks(signal: FloatArray) -> FloatArray:
    """The largest magnitude in each LIMITER_HOP."""
    rows = _hops(signal)
    peaks: FloatArray = np.maximum(rows.max(axis=1), -rows.min(axis=1))
    return peaks


def _limiter_gains(peaks: FloatArray, ceiling: float) -> FloatArray:
    """Per-hop gain of a look-ahead limiter: the least gain any sample of a hop needs, spread
    over the neighbouring hops (6 ms look-ahead and hold) and smoothed."""
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    gain = _running_min(needed, 7)
    smoothed: FloatArray = np.minimum(
        np.convolve(gain, np.full(5, 0.2), mode="same"), _running_min(needed, 3)
    )
    return smoothed


def _per_sample(gain: FloatArray, count: int) -> FloatArray:
    """Linear ramps from each hop's gain to the next one's, as one per-sample curve."""
    following = np.append(gain[1:], gain[-1])
    ramp = np.arange(LIMITER_HOP) / LIMITER_HOP
    curve = gain[:, None] + (following - gain)[:, None] * ramp[None, :]
    result: FloatArray = curve.reshape(-1)[:count]
    return result


def normalise_loudness(
    samples: Int16Array,
    target_lufs: float = TARGET_LUFS + ENCODING_LOSS_LU,
    rate: int = SAMPLE_RATE,
) -> Int16Array:
    """Bring speech to ``target_lufs`` under a peak ceiling; silence is returned unchanged.

    Limiting peaks lowers the loudness a little, so the gain that reaches the target after
    limiting is searched for. The search runs on 2 ms hops, not samples: the signal is
    K-weighted once, and the limiter (a slowly varying gain) scales each hop's K-weighted
    energy by its mean squared gain. Only the final gain curve is applied per sample.
    """
    if len(samples) < rate // 2 or not np.any(samples):
        return samples
    source = np.multiply(samples, 1 / 32768.0, dtype=np.float64)
    weighted = _hops(_k_weighted(source, rate))
    count = len(source)
    hops = len(weighted)
    energy = np.einsum("ij,ij->i", weighted, weighted)
    peaks = _hop_peaks(source)
    per_block = round(rate / 10 / LIMITER_HOP)  # 2 ms hops in a (near) 100 ms gating hop
    blocks = hops // per_block

    def loudness_at(gain_db: float) -> tuple[float | None, FloatArray]:
        linear = 10 ** (gain_db / 20)
        gains = _limiter_gains(peaks * linear, PEAK_LIMIT)
        following = np.append(gains[1:], gains[-1])
        mean_square = (gains * gains + gains * following + following * following) / 3
        scaled = energy * mean_square * (linear * linear)
        grouped = scaled[: blocks * per_block].reshape(blocks, per_block).sum(axis=1)
        return _loudness_from_hops(grouped, per_block * LIMITER_HOP), gains

    unlimited, _ = loudness_at(0.0)
    if unlimited is None:
        return samples
    # Loudness rises monotonically with gain and exactly 1 LU per dB until the limiter acts:
    # secant steps from the unlimited guess converge in two or three rounds.
    gain_db = target_lufs - unlimited
    measured, gains = loudness_at(gain_db)
    previous: tuple[float, float] | None = None
    for _ in range(8):
        if measured is None or abs(measured - target_lufs) <= 0.02:
            break
        slope = 1.0
        if previous is not None and abs(measured - previous[1]) > 1e-6:
            slope = max(0.2, (measured - previous[1]) / (gain_db - previous[0]))
        previous = (gain_db, measured)
        gain_db += (target_lufs - measured) / slope
        measured, gains = loudness_at(gain_db)
    # One pass per step over the samples, in place: gain curve, signal, ceiling, rounding.
    signal = _per_sample(gains, count) * (10 ** (gain_db / 20) * 32767.0)
    np.multiply(signal, source, out=signal)
    np.clip(signal, -PEAK_LIMIT * 32767.0, PEAK_LIMIT * 32767.0, out=signal)
    return np.rint(signal, out=signal).astype("<i2")
