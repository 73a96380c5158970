"""A minimal MP4 (M4B) writer for one AAC-LC track with chapters, built from ADTS frames.

Every edit rewrites the whole audiobook, and a general muxer (ffmpeg, even in-process) spends
most of its time passing each of the book's 23 frames a second through its packet machinery.
The layout needed here is small and fixed, so it is written directly, the way ffmpeg's
``ipod`` muxer lays it out with ``+faststart``::

    ftyp  moov[mvhd  trak(audio, tref chap -> 2)  trak(chapter text)  udta[chpl  meta]]  mdat

* the audio track: one ``mp4a`` sample entry (AudioSpecificConfig from the ADTS headers), a
  constant 1024-sample duration per frame, chunks of about a second; no edit list, so the
  timeline is the decoded frames, priming included (as ffmpeg writes ADTS input);
* chapters twice, as players read one or the other: a QuickTime chapter track (text samples
  referenced by the audio track's ``tref/chap``; Apple) and a Nero ``chpl`` list (most others);
* the ``mdat`` holds the chapter texts, then the raw AAC frames (ADTS headers stripped).

Tags and the cover are added afterwards by mutagen (audiopack.output.tags), into room left free in
``meta`` so that the audio need not move.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audiopack.errors import PackError

ADTS_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025,
              8000, 7350)  # fmt: skip
FRAME_SAMPLES = 1024
MOVIE_TIMESCALE = 1000  # milliseconds: chapter durations stay far from 32-bit overflow
FRAMES_PER_CHUNK = 24  # about a second of audio per chunk at 22.05 to 24 kHz
_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
_LANGUAGE_UND = 0x55C4
# The QuickTime text sample description and base media header ffmpeg writes for chapters.
_TEXT_SAMPLE_ENTRY = bytes.fromhex(
    "00000000000000010000000100000000000000000000000000000000000000010000000000000000000d66"
    "7461620001000100"
)
_GMHD_BODY = bytes.fromhex(
    "00000018676d696e000000000040800080008000000000000000002c7465787400010000000000000000"
    "000000000000000100000000000000000000000000004000000000"
)
_ENCD_UTF8 = bytes.fromhex("0000000c656e636400000100")


@dataclass(frozen=True)
class AdtsStream:
    """The raw AAC frames of ADTS data (headers stripped, end to end) and what the headers
    say."""

    raw: bytes
    sizes: tuple[int, ...]  # of each raw frame
    sample_rate: int
    channels: int
    object_type: int  # MPEG-4 audio object type (2 = AAC-LC)

    @property
    def duration_samples(self) -> int:
        return len(self.sizes) * FRAME_SAMPLES


@dataclass(frozen=True)
class AacTrack:
    """What the ``moov`` needs of the audio: every raw frame's size, and the format."""

    sizes: Any  # numpy array of frame sizes (int64)
    sample_rate: int
    channels: int
    object_type: int

    @property
    def duration_samples(self) -> int:
        return len(self.sizes) * FRAME_SAMPLES

    @classmethod
    def of(cls, stream: AdtsStream) -> AacTrack:
        import numpy as np

        sizes = np.asarray(stream.sizes, dtype=np.int64)
        return cls(sizes, stream.sample_rate, stream.channels, stream.object_type)


def parse_adts(data: bytes, name: str = "AAC data") -> AdtsStream:
    """Split ADTS data into raw frames; PackError when it is not one stream of ADTS AAC.

    Every frame must repeat the first one's fixed header (format, rate, channels) and carry
    one raw block without CRC, as ffmpeg's encoder writes them: the loop then only reads
    each frame's length, which keeps an edit's rebuild of a long book cheap.
    """
    size = len(data)
    if size == 0:
        raise PackError(f"{name} holds no AAC audio")
    if size < 7 or data[0] != 0xFF or data[1] & 0xF6 != 0xF0:
        raise PackError(f"{name} is not ADTS AAC (bad frame header at byte 0)")
    if not data[1] & 1:
        raise PackError(f"{name}: ADTS frames with a CRC are not supported")
    fixed1, fixed2, fixed3 = data[1], data[2], data[3] & 0xFC
    rate_index = (fixed2 >> 2) & 0x0F
    if rate_index >= len(ADTS_RATES):
        raise PackError(f"{name} is not ADTS AAC (bad sample rate at byte 0)")
    payloads: list[bytes] = []
    append = payloads.append
    pos = 0
    while pos < size:
        if (
            data[pos] != 0xFF
            or data[pos + 1] != fixed1
            or data[pos + 2] != fixed2
            or data[pos + 3] & 0xFC != fixed3
        ):
            raise PackError(f"{name} is not one ADTS AAC stream (frame header at byte {pos})")
        length = ((data[pos + 3] & 3) << 11) | (data[pos + 4] << 3) | (data[pos + 5] >> 5)
        if length <= 7 or pos + length > size or data[pos + 6] & 3:
            raise PackError(f"{name} is not ADTS AAC (bad frame at byte {pos})")
        append(data[pos + 7 : pos + length])
        pos += length
    channels = ((fixed2 & 1) << 2) | (data[3] >> 6)
    return AdtsStream(
        b"".join(payloads),
        tuple(len(p) for p in payloads),
        ADTS_RATES[rate_index],
        channels,
        (fixed2 >> 6) + 1,
    )


def adts_with_sizes(data: bytes, sizes: Sequence[int], name: str = "AAC data") -> AdtsStream:
    """:func:`parse_adts` for data whose raw frame sizes are already known (remembered when
    it was encoded): the headers are cut out in one vectorised step instead of a loop."""
    import numpy as np

    header = 7
    lengths = np.asarray(sizes, dtype=np.int64) + header
    starts = np.cumsum(lengths) - lengths
    buffer = np.frombuffer(data, dtype=np.uint8)
    if not len(sizes) or int(lengths.sum()) != len(data) or np.any(buffer[starts] != 0xFF):
        return parse_adts(data, name)  # sizes that do not fit: read the headers after all
    first = parse_adts(data[: int(lengths[0])], name)
    keep = np.ones(len(buffer), dtype=bool)
    keep[(starts[:, None] + np.arange(header)).ravel()] = False
    return AdtsStream(
        buffer[keep].tobytes(),
        tuple(np.asarray(sizes, dtype=np.int64).tolist()),
        first.sample_rate,
        first.channels,
        first.object_type,
    )


def pack_frame_sizes(sizes: Sequence[int]) -> str:
    """Frame sizes as compact text for a JSON record: base64 of little-endian uint16 (an ADTS
    frame is at most 8191 bytes), a sixth of a JSON list, and decoded without a Python loop."""
    import base64

    import numpy as np

    return base64.b64encode(np.asarray(sizes, dtype="<u2").tobytes()).decode("ascii")


def unpack_frame_sizes(text: object) -> Any:
    """:func:`pack_frame_sizes` undone (a numpy array), or None for anything else."""
    import base64
    import binascii

    import numpy as np

    if not isinstance(text, str) or not text:
        return None
    try:
        return np.frombuffer(base64.b64decode(text, validate=True), dtype="<u2").astype(np.int64)
    except (ValueError, binascii.Error):
        return None


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


def _descriptor(tag: int, body: bytes) -> bytes:
    # ffmpeg writes descriptor sizes in the four-byte form; readers accept both.
    size = len(body)
    return bytes([tag, 0x80 | (size >> 21) & 0x7F, 0x80 | (size >> 14) & 0x7F,
                  0x80 | (size >> 7) & 0x7F, size & 0x7F]) + body  # fmt: skip


def _peak_bitrate(sizes: Any, sample_rate: int) -> int:
    """The most bits per second over any one-second run of frames (the AAC is VBR)."""
    import numpy as np

    window = max(1, round(sample_rate / FRAME_SAMPLES))
    if len(sizes) <= window:
        return round(int(sizes.sum()) * 8 * sample_rate / (FRAME_SAMPLES * window))
    totals = np.cumsum(np.concatenate(([0], sizes)))
    most = int((totals[window:] - totals[:-window]).max())
    return round(most * 8 * sample_rate / (FRAME_SAMPLES * window))


def _esds(stream: AacTrack, max_frame: int, bitrate: int, max_bitrate: int) -> bytes:
    rate_index = ADTS_RATES.index(stream.sample_rate)
    audio_config = struct.pack(
        ">H", (stream.object_type << 11) | (rate_index << 7) | (stream.channels << 3)
    )
    decoder_config = _descriptor(
        0x04,
        struct.pack(">BB", 0x40, 0x15)  # MPEG-4 audio, audio stream
        + max_frame.to_bytes(3, "big")
        + struct.pack(">II", max_bitrate, bitrate)
        + _descriptor(0x05, audio_config),
    )
    es = _descriptor(0x03, struct.pack(">HB", 1, 0) + decoder_config + _descriptor(0x06, b"\x02"))
    return _full_box(b"esds", 0, 0, es)


def _tkhd(track_id: int, flags: int, duration: int, volume: int) -> bytes:
    return _full_box(
        b"tkhd", 0, flags,
        struct.pack(">IIIII", 0, 0, track_id, 0, duration), b"\0" * 8,
        struct.pack(">hhhH", 0, 0, volume, 0), _MATRIX, struct.pack(">II", 0, 0),
    )  # fmt: skip


def _mdhd(timescale: int, duration: int) -> bytes:
    return _full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, duration,
                                                 _LANGUAGE_UND, 0))  # fmt: skip


def _hdlr(handler: bytes, name: bytes) -> bytes:
    return _full_box(b"hdlr", 0, 0, struct.pack(">I4s", 0, handler), b"\0" * 12, name + b"\0")


def _dinf() -> bytes:
    return _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1)))


def _stsc(counts: Sequence[int]) -> bytes:
    entries: list[tuple[int, int]] = []
    for number, count in enumerate(counts, 1):
        if not entries or entries[-1][1] != count:
            entries.append((number, count))
    packed = b"".join(struct.pack(">III", first, count, 1) for first, count in entries)
    return _full_box(b"stsc", 0, 0, struct.pack(">I", len(entries)), packed)


def _stsz(sizes: Any) -> bytes:
    import numpy as np

    table = np.asarray(sizes, dtype=">u4").tobytes()
    return _full_box(b"stsz", 0, 0, struct.pack(">II", 0, len(sizes)), table)


def _chunk_offsets(offsets: Any, wide: bool) -> bytes:
    import numpy as np

    table = np.asarray(offsets, dtype=">u8" if wide else ">u4").tobytes()
    return _full_box(b"co64" if wide else b"stco", 0, 0, struct.pack(">I", len(offsets)), table)


def _chapter_sample(title: str) -> bytes:
    text = title.encode("utf-8")[:0xFFFF]
    return struct.pack(">H", len(text)) + text + _ENCD_UTF8


def _chpl(chapters: Sequence[tuple[str, int, int]]) -> bytes:
    """Nero chapters: start in 100 ns units and a title of at most 255 bytes each."""
    entries = []
    for title, start_ms, _end in chapters[:255]:
        text = title.encode("utf-8")[:255].decode("utf-8", "ignore").encode("utf-8")
        entries.append(struct.pack(">QB", start_ms * 10_000, len(text)) + text)
    return _full_box(b"chpl", 1, 0, struct.pack(">IB", 0, len(entries)), *entries)


def _empty_tags(space: int) -> bytes:
    """An iTunes ``meta`` box with an empty ``ilst`` and ``space`` bytes of padding after it:
    mutagen then writes the tags into the padding instead of moving the whole ``mdat``."""
    handler = _full_box(b"hdlr", 0, 0, struct.pack(">I4s4s", 0, b"mdir", b"appl"), b"\0" * 9)
    return _full_box(b"meta", 0, 0, handler, _box(b"ilst"), _box(b"free", b"\0" * space))


def write_m4b_file(
    dest: Path,
    track: AacTrack,
    raw_parts: Iterable[bytes],
    chapters: Sequence[tuple[str, int, int]],
    tag_space: int = 0,
) -> None:
    """Write an M4B of ``track`` whose raw frames ``raw_parts`` yields in order (streamed:
    only one part is held at a time), with ``chapters`` (title, start ms, end ms) covering
    the audio; no tags, but ``tag_space`` bytes kept free for them (mutagen adds them).
    PackError when the parts do not add up to the track's frame sizes."""
    import numpy as np

    sizes = np.asarray(track.sizes, dtype=np.int64)
    media_duration = track.duration_samples
    movie_duration = round(media_duration * MOVIE_TIMESCALE / track.sample_rate)
    texts = [_chapter_sample(title) for title, _, _ in chapters]
    text_durations = [max(0, end - start) for _, start, end in chapters]
    chunk_firsts = np.arange(0, len(sizes), FRAMES_PER_CHUNK)
    chunk_bytes = np.add.reduceat(sizes, chunk_firsts) if len(sizes) else sizes
    chunk_counts = np.minimum(FRAMES_PER_CHUNK, len(sizes) - chunk_firsts)
    audio_bytes = int(sizes.sum())
    seconds = media_duration / track.sample_rate
    bitrate = round(audio_bytes * 8 / seconds) if seconds else 0
    max_bitrate = max(bitrate, _peak_bitrate(sizes, track.sample_rate))
    mdat_size = 8 + sum(len(t) for t in texts) + audio_bytes
    wide_mdat = mdat_size > 0xFFFFFFFF
    ftyp = _box(b"ftyp", b"M4B ", struct.pack(">I", 0x200), b"M4B M4A isomiso2")

    def moov(audio_offsets: Any, text_offset: int, wide: bool) -> bytes:
        stbl = _box(
            b"stbl",
            _full_box(b"stsd", 0, 0, struct.pack(">I", 1), _box(
                b"mp4a", b"\0" * 6, struct.pack(">H", 1), b"\0" * 8,
                struct.pack(">HHHHI", track.channels, 16, 0, 0, track.sample_rate << 16),
                _esds(track, int(sizes.max()), bitrate, max_bitrate),
            )),
            _full_box(b"stts", 0, 0, struct.pack(">III", 1, len(sizes), FRAME_SAMPLES)),
            _stsc([int(count) for count in chunk_counts]),
            _stsz(sizes),
            _chunk_offsets(audio_offsets, wide),
        )  # fmt: skip
        audio_trak = _box(
            b"trak",
            _tkhd(1, 3, movie_duration, 0x0100),
            _box(b"tref", _box(b"chap", struct.pack(">I", 2))),
            _box(b"mdia", _mdhd(track.sample_rate, media_duration),
                 _hdlr(b"soun", b"SoundHandler"),
                 _box(b"minf", _full_box(b"smhd", 0, 0, b"\0" * 4), _dinf(), stbl)),
        )  # fmt: skip
        text_stbl = _box(
            b"stbl",
            _full_box(b"stsd", 0, 0, struct.pack(">I", 1), _box(b"text", _TEXT_SAMPLE_ENTRY)),
            _full_box(b"stts", 0, 0, struct.pack(">I", len(texts)),
                      *(struct.pack(">II", 1, d) for d in text_durations)),
            _stsc([len(texts)]),
            _stsz([len(t) for t in texts]),
            _chunk_offsets([text_offset], wide),
        )  # fmt: skip
        text_trak = _box(
            b"trak",
            _tkhd(2, 2, movie_duration, 0),  # in the movie but not enabled: not played
            _box(b"mdia", _mdhd(MOVIE_TIMESCALE, sum(text_durations)),
                 _hdlr(b"text", b"SubtitleHandler"),
                 _box(b"minf", _box(b"gmhd", _GMHD_BODY), _dinf(), text_stbl)),
        )  # fmt: skip
        mvhd = _full_box(
            b"mvhd", 0, 0,
            struct.pack(">IIII", 0, 0, MOVIE_TIMESCALE, movie_duration),
            struct.pack(">IH", 0x10000, 0x0100), b"\0" * 10, _MATRIX, b"\0" * 24,
            struct.pack(">I", 3),
        )  # fmt: skip
        udta = _box(b"udta", _chpl(chapters), _empty_tags(tag_space))
        return _box(b"moov", mvhd, audio_trak, text_trak, udta)

    # The chunk offsets depend on the moov's size, which does not depend on their values.
    layout = moov(np.zeros(len(chunk_firsts), dtype=np.int64), 0, wide_mdat)
    mdat_header = 16 if wide_mdat else 8
    text_offset = len(ftyp) + len(layout) + mdat_header
    audio_offset = text_offset + sum(len(t) for t in texts)
    offsets = audio_offset + np.cumsum(chunk_bytes) - chunk_bytes
    header = ftyp + moov(offsets, text_offset, wide_mdat)
    if wide_mdat:
        mdat = struct.pack(">I4sQ", 1, b"mdat", mdat_size + 8)
    else:
        mdat = struct.pack(">I4s", mdat_size, b"mdat")
    written = 0
    with dest.open("wb") as out:
        out.write(header + mdat)
        out.writelines(texts)
        for raw in raw_parts:
            out.write(raw)
            written += len(raw)
    if written != audio_bytes:
        raise PackError(
            f"{dest}: the AAC parts hold {written} bytes, not the {audio_bytes} planned"
        )
