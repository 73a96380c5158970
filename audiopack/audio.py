"""The audio boundary: trimming, piece layout, loudness, encoding, and stream-copy joins.

A *piece* is the audio of one heading or point. Its PCM length is chosen so that both encoders
produce whole frames with nothing left over: with N ≡ -ENCODER_PAD (mod GRID) samples, LAME
(576-sample frames) and ffmpeg's AAC encoder (1024-sample frames) both emit exactly
N + ENCODER_PAD decoded samples. Pieces can therefore be encoded once, cached, and joined into
chapter MP3s and the M4B by byte concatenation, and the MP3 and AAC timelines agree exactly.
"""

from __future__ import annotations

import functools
import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from audiopack.atomic import atomic_write_bytes
from audiopack.errors import ToolError
from audiopack.model import SAMPLE_RATE

log = logging.getLogger(__name__)

GRID = 9216  # lcm(576, 1024): MP3 and AAC frame boundaries coincide every GRID samples
ENCODER_PAD = 1152  # extra decoded samples both encoders add to a GRID-aligned piece
MP3_DELAY = 1105  # LAME encoder + decoder delay: where sample 0 of a piece is heard
AAC_DELAY = 1024  # AAC priming samples
SILENCE_THRESHOLD = 330  # about -40 dBFS: quieter is treated as silence when trimming
TRIM_MARGIN = int(0.02 * SAMPLE_RATE)  # keep 20 ms around speech so soft onsets survive
TARGET_LUFS = -16.0
#: Encoding at speech bitrates drops high frequencies that K-weighting counts (measured here:
#: -0.5 to -0.9 LU for MP3 at 64 kbps, -0.3 LU for AAC), so pieces aim a little higher.
ENCODING_LOSS_LU = 0.6
PEAK_LIMIT = 10 ** (-3.0 / 20)  # sample-peak ceiling leaving room for true peak <= -1.5 dBTP

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


def integrated_loudness(samples: Int16Array, rate: int = SAMPLE_RATE) -> float | None:
    """ITU-R BS.1770-4 integrated loudness (LUFS) of int16 PCM; None when silent or too short."""
    if len(samples) < rate // 2 or not np.any(samples):
        return None
    return _gated_loudness(samples.astype(np.float64) / 32768.0, rate)


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


#: Zeros after the signal before the FFT, so the filter's decaying response does not wrap
#: around onto the start (both sections settle within milliseconds at 38 Hz and above).
_FILTER_TAIL_S = 0.25


def _k_weighted(signal: FloatArray, rate: int = SAMPLE_RATE) -> FloatArray:
    """``signal`` through the K-weighting filter, as a recursive filter starting at rest would
    give it, computed in the frequency domain with numpy alone: ``scipy.signal`` takes over
    half a second to import, as long as a whole rebuild after a one-sentence edit."""
    size = len(signal) + int(_FILTER_TAIL_S * rate)
    size = 1 << (size - 1).bit_length()
    spectrum = np.fft.rfft(signal, size)
    z_inverse = np.exp(-1j * np.pi * np.arange(len(spectrum)) / (len(spectrum) - 1))
    for b0, b1, b2, _a0, a1, a2 in _k_weighting(rate):
        spectrum *= (b0 + z_inverse * (b1 + z_inverse * b2)) / (
            1 + z_inverse * (a1 + z_inverse * a2)
        )
    filtered: FloatArray = np.fft.irfft(spectrum, size)[: len(signal)]
    return filtered


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


def limit_peaks(signal: FloatArray, ceiling: float) -> FloatArray:
    """A look-ahead peak limiter: smooth gain reduction wherever |signal| would pass ceiling.

    The gain curve is worked out per 2 ms hop, then interpolated per sample: a hundred times
    cheaper than filtering every sample, and never louder than the ceiling (a final clip).
    """
    if signal.size == 0 or float(np.abs(signal).max()) <= ceiling:
        return signal
    gain = _limiter_gains(_hop_peaks(signal), ceiling)
    limited: FloatArray = signal * _per_sample(gain, len(signal))
    return np.clip(limited, -ceiling, ceiling)


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


@dataclass(frozen=True)
class Codec:
    """One output encoding of pieces: ``mp3`` (LAME through lameenc) or ``aac`` (FFmpeg's
    native AAC encoder through PyAV), at a constant bitrate.

    Both encoders run in-process on the encoding threads (they release the GIL): an ffmpeg
    process per piece spends as much CPU handing frames between its own threads as LAME
    spends encoding them.
    """

    suffix: str
    bitrate_k: int
    #: Samples per second, in and out: the engine's own rate (no resampling).
    rate: int = SAMPLE_RATE

    @property
    def tag(self) -> str:
        """What decides the encoded bytes: part of every piece's cache key."""
        settings = {"mp3": "lame cbr q7", "aac": "lavc aac fast nopns notns"}[self.suffix]
        return f"{self.suffix}:{self.bitrate_k}k@{self.rate} {settings}"


def mp3_codec(bitrate_k: int, rate: int = SAMPLE_RATE) -> Codec:
    return Codec("mp3", bitrate_k, rate)


def aac_codec(bitrate_k: int, rate: int = SAMPLE_RATE) -> Codec:
    return Codec("aac", bitrate_k, rate)


def _encode_mp3(samples: Int16Array, bitrate_k: int, rate: int) -> bytes:
    """Raw MPEG-2 layer III frames (no Xing header, no tags) at ``rate`` (16 to 24 kHz)."""
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bitrate_k)
    encoder.set_in_sample_rate(rate)
    encoder.set_out_sample_rate(rate)  # LAME would resample at low bitrates
    encoder.set_channels(1)
    encoder.set_quality(7)  # LAME -q 7: fast, and indistinguishable for speech at 64 kbps
    return bytes(encoder.encode(samples.tobytes()) + encoder.flush())


def _encode_aac(samples: Int16Array, bitrate_k: int, rate: int) -> bytes:
    """ADTS AAC-LC frames at ``rate``."""
    import io
    from fractions import Fraction

    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="adts") as container:
        # The fast coder is four times quicker than twoloop, and noise substitution and
        # temporal shaping add little to speech at this bitrate: a third of the time.
        stream = container.add_stream(
            "aac",
            rate=rate,
            layout="mono",
            options={"aac_coder": "fast", "aac_pns": "0", "aac_tns": "0"},
        )
        stream.bit_rate = bitrate_k * 1000
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = rate
        frame.time_base = Fraction(1, rate)
        frame.pts = 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


_ENCODERS: dict[str, Callable[[Int16Array, int, int], bytes]] = {
    "mp3": _encode_mp3,
    "aac": _encode_aac,
}


def encode_pcm(samples: Int16Array, outputs: Sequence[tuple[Codec, Path]]) -> None:
    """Encode PCM into each (codec, path); each file appears atomically."""
    for codec, path in outputs:
        try:
            data = _ENCODERS[codec.suffix](samples, codec.bitrate_k, codec.rate)
        except Exception as e:  # the encoders raise their own types (av.FFmpegError, ...)
            raise ToolError(f"cannot encode {codec.suffix.upper()} audio: {e}") from e
        atomic_write_bytes(path, data, durable=False)


def decode_mp3(data: bytes) -> bytes:
    """MP3 bytes to mono s16le PCM at SAMPLE_RATE, in this process.

    The same libavcodec decoder and libswresample conversion as the ffmpeg command line
    (identical samples, delay included), without starting a process per request: that
    cost an edge build about 60 ms of CPU per request.
    """
    import io

    import av

    try:
        pcm = decode_to_pcm(io.BytesIO(data), SAMPLE_RATE, "mp3")
    except av.FFmpegError as e:
        raise ToolError(f"cannot decode MP3 audio: {e}") from e
    if pcm is None:
        raise ToolError("cannot decode MP3 audio: no audio stream")
    return pcm


def decode_to_pcm(source: str | BinaryIO, rate: int, format: str | None = None) -> bytes | None:
    """The first audio stream of a file FFmpeg's libraries read (PyAV, in-process), as mono
    s16le PCM at ``rate`` (libswresample converts); None when it has no audio stream.
    Raises ``av.FFmpegError`` for data that is not what it claims."""
    import av

    chunks: list[bytes] = []
    with av.open(source, "r", format=format) as container:
        if not container.streams.audio:
            return None
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        for frame in container.decode(audio=0):
            for converted in resampler.resample(frame):
                chunks.append(bytes(converted.planes[0])[: converted.samples * 2])
        for converted in resampler.resample(None):
            chunks.append(bytes(converted.planes[0])[: converted.samples * 2])
    return b"".join(chunks)


def mp3_frame_count(data: bytes) -> int:
    """Number of MPEG audio frames in raw MP3 bytes (no tags), by walking frame headers."""
    bitrates = {3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
                2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}  # fmt: skip
    rates = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
    count, i = 0, 0
    while i + 4 <= len(data):
        if data[i] != 0xFF or data[i + 1] & 0xE0 != 0xE0:
            i += 1
            continue
        version = (data[i + 1] >> 3) & 3
        bitrate_index, rate_index = data[i + 2] >> 4, (data[i + 2] >> 2) & 3
        if version == 1 or rate_index == 3 or bitrate_index in (0, 15):
            i += 1
            continue
        bitrate = bitrates[3 if version == 3 else 2][bitrate_index] * 1000
        coefficient = 144 if version == 3 else 72
        count += 1
        i += coefficient * bitrate // rates[version][rate_index] + ((data[i + 2] >> 1) & 1)
    return count


def concatenate_files(parts: Sequence[Path], destination: Path) -> None:
    """Join encoded pieces by stream copy (bytes), streaming: memory stays flat."""
    with destination.open("wb") as out:
        for part in parts:
            with part.open("rb") as source:
                shutil.copyfileobj(source, out, 1 << 20)
