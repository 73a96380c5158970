"""Encoding and decoding in-process: MP3 through LAME (lameenc), AAC and decoding through
FFmpeg's libraries (PyAV); no ffmpeg program."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from audiopack.atomic import atomic_write_bytes
from audiopack.errors import ToolError
from audiopack.model import SAMPLE_RATE

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # numpy.typing costs 20 ms to import: a tenth of a no-op rebuild
    import numpy.typing as npt

    Int16Array = npt.NDArray[np.int16]


_FF_QP2LAMBDA = 118


@dataclass(frozen=True)
class Codec:
    """One output encoding of pieces: ``mp3`` (LAME through lameenc) at a constant bitrate,
    or ``aac`` (FFmpeg's native AAC encoder through PyAV) at a variable-bitrate quality.

    Both encoders run in-process on the encoding threads (they release the GIL): an ffmpeg
    process per piece spends as much CPU handing frames between its own threads as LAME
    spends encoding them.
    """

    suffix: str
    #: MP3: the constant bitrate in kbps. AAC: FFmpeg's quality scale (``-q:a``), where a
    #: constant bitrate would spend a quarter more time on rate control for a worse result.
    level: float
    #: Samples per second, in and out: the engine's own rate (no resampling).
    rate: int = SAMPLE_RATE

    @property
    def tag(self) -> str:
        """What decides the encoded bytes: part of every piece's cache key."""
        if self.suffix == "mp3":
            return f"mp3:{self.level:g}k@{self.rate} lame cbr q7"
        return f"aac:q{self.level:g}@{self.rate} lavc aac fast nopns notns vbr"


def mp3_codec(bitrate_k: int, rate: int = SAMPLE_RATE) -> Codec:
    return Codec("mp3", bitrate_k, rate)


def aac_codec(quality: float, rate: int = SAMPLE_RATE) -> Codec:
    return Codec("aac", quality, rate)


def _encode_mp3(samples: Int16Array, bitrate_k: float, rate: int) -> bytes:
    """Raw MPEG-2 layer III frames (no Xing header, no tags) at ``rate`` (16 to 24 kHz)."""
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(int(bitrate_k))
    encoder.set_in_sample_rate(rate)
    encoder.set_out_sample_rate(rate)  # LAME would resample at low bitrates
    encoder.set_channels(1)
    encoder.set_quality(7)  # LAME -q 7: fast, and indistinguishable for speech at 64 kbps
    return bytes(encoder.encode(samples.tobytes()) + encoder.flush())


def _encode_aac(samples: Int16Array, quality: float, rate: int) -> bytes:
    """ADTS AAC-LC frames at ``rate``, variable bitrate at FFmpeg's ``quality`` (``-q:a``)."""
    import io
    from fractions import Fraction

    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="adts") as container:
        # The fast coder is four times quicker than twoloop, and noise substitution and
        # temporal shaping add little to speech at this bitrate: a third of the time.
        # FFmpeg's quality scale is global_quality in units of FF_QP2LAMBDA, with the
        # qscale flag (what ``-q:a`` sets).
        stream = container.add_stream(
            "aac",
            rate=rate,
            layout="mono",
            options={
                "aac_coder": "fast",
                "aac_pns": "0",
                "aac_tns": "0",
                "flags": "+qscale",
                "global_quality": str(round(quality * _FF_QP2LAMBDA)),
            },
        )
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


_ENCODERS: dict[str, Callable[[Int16Array, float, int], bytes]] = {
    "mp3": _encode_mp3,
    "aac": _encode_aac,
}


def encode_pcm(samples: Int16Array, outputs: Sequence[tuple[Codec, Path]]) -> None:
    """Encode PCM into each (codec, path); each file appears atomically."""
    for codec, path in outputs:
        try:
            data = _ENCODERS[codec.suffix](samples, codec.level, codec.rate)
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
