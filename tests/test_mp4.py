"""The hand-written M4B layout: boxes where players look for them, samples where tables say."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from audiopack.audio import codec as audio_codec
from audiopack.audio import layout as audio
from audiopack.audio.ffmpeg import decode_to_pcm
from audiopack.errors import PackError
from audiopack.output.mp4 import (
    FRAMES_PER_CHUNK,
    AacTrack,
    adts_with_sizes,
    pack_frame_sizes,
    parse_adts,
    unpack_frame_sizes,
    write_m4b_file,
)


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> dict[bytes, tuple[int, int]]:
    """type -> (body start, body end) of the boxes directly in data[start:end]."""
    found: dict[bytes, tuple[int, int]] = {}
    position, end = start, len(data) if end is None else end
    while position < end:
        size, kind = struct.unpack(">I4s", data[position : position + 8])
        found.setdefault(kind, (position + 8, position + size))
        position += size
    return found


def _path(data: bytes, *kinds: bytes) -> tuple[int, int]:
    start, end = 0, len(data)
    for kind in kinds:
        start, end = _boxes(data, start, end)[kind]
    return start, end


@pytest.fixture(scope="module")
def adts(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    rng = np.random.default_rng(5)
    samples = (rng.standard_normal(audio.aligned_length(30_000)) * 2000).astype("<i2")
    path = tmp_path_factory.mktemp("mp4") / "part.aac"
    audio_codec.encode_pcm(samples, [(audio_codec.aac_codec(0.9), path)])
    return path.read_bytes()


def test_layout_tables_point_at_the_frames(tmp_path: Path, adts: bytes) -> None:
    stream = parse_adts(adts)
    chapters = [("第一章", 0, 500), ("第二章 “引号”", 500, 1000)]
    dest = tmp_path / "book.m4b"
    write_m4b_file(dest, AacTrack.of(stream), [stream.raw], chapters)
    data = dest.read_bytes()
    assert data[4:12] == b"ftypM4B "
    assert list(_boxes(data)) == [b"ftyp", b"moov", b"mdat"]  # moov first: streams at once
    stbl = (b"moov", b"trak", b"mdia", b"minf", b"stbl")
    start, _ = _path(data, *stbl, b"stsz")
    _, _, count = struct.unpack(">III", data[start : start + 12])
    sizes = struct.unpack(f">{count}I", data[start + 12 : start + 12 + 4 * count])
    assert sizes == stream.sizes
    start, _ = _path(data, *stbl, b"stco")
    (chunks,) = struct.unpack(">I", data[start + 4 : start + 8])
    offsets = struct.unpack(f">{chunks}I", data[start + 8 : start + 8 + 4 * chunks])
    assert chunks == -(-len(sizes) // FRAMES_PER_CHUNK)
    frame_starts = [sum(stream.sizes[:i]) for i in range(len(stream.sizes))]
    for index, offset in enumerate(offsets):
        start = frame_starts[index * FRAMES_PER_CHUNK]
        first = stream.raw[start : start + stream.sizes[index * FRAMES_PER_CHUNK]]
        assert data[offset : offset + len(first)] == first
    # The chapter track's samples hold the titles, in order.
    traks = [i for i in range(len(data)) if data[i : i + 4] == b"trak"]
    assert len(traks) == 2
    for title, _, _ in chapters:
        encoded = title.encode("utf-8")
        assert struct.pack(">H", len(encoded)) + encoded + b"\0\0\0\x0cencd" in data


def test_book_decodes_to_the_parts_audio(tmp_path: Path, adts: bytes) -> None:
    stream = parse_adts(adts + adts)
    dest = tmp_path / "book.m4b"
    write_m4b_file(
        dest, AacTrack.of(stream), [stream.raw[:100], stream.raw[100:]], [("一", 0, 100)]
    )
    from_book = decode_to_pcm(dest.read_bytes(), "mp4")
    from_adts = decode_to_pcm(adts + adts, "aac")
    assert len(from_book) == len(from_adts) == stream.duration_samples * 2
    assert from_book == from_adts


def test_parts_that_do_not_add_up_are_refused(tmp_path: Path, adts: bytes) -> None:
    stream = parse_adts(adts)
    with pytest.raises(PackError, match="planned"):
        write_m4b_file(tmp_path / "b.m4b", AacTrack.of(stream), [stream.raw[:-1]], [("一", 0, 1)])


def test_known_frame_sizes_give_the_same_stream(adts: bytes) -> None:
    parsed = parse_adts(adts + adts)
    assert adts_with_sizes(adts + adts, parsed.sizes) == parsed
    # Sizes that do not fit the data are not trusted: the headers are read instead.
    assert adts_with_sizes(adts + adts, parsed.sizes[:-1]) == parsed
    assert adts_with_sizes(adts + adts, [s + 1 for s in parsed.sizes]) == parsed


def test_frame_sizes_survive_a_json_record(adts: bytes) -> None:
    import json

    sizes = parse_adts(adts).sizes
    text = json.loads(json.dumps({"s": pack_frame_sizes(sizes)}))["s"]
    assert list(unpack_frame_sizes(text)) == list(sizes)
    assert unpack_frame_sizes("not base64!") is None
    assert unpack_frame_sizes([1, 2]) is None


def test_parse_adts_refuses_what_is_not_one_stream(adts: bytes) -> None:
    with pytest.raises(PackError, match="not ADTS"):
        parse_adts(b"ID3" + adts)
    with pytest.raises(PackError, match="not ADTS"):
        parse_adts(adts[:-3])
    with pytest.raises(PackError, match="no AAC audio"):
        parse_adts(b"")


def test_esds_gives_the_average_and_the_one_second_peak_bitrate(tmp_path: Path) -> None:
    # A VBR track: quiet frames, then one second of loud ones (22050 Hz: 22 frames a second).
    rng = np.random.default_rng(11)
    rate = 22_050
    quiet = np.zeros(rate * 3)
    loud = rng.standard_normal(rate) * 8000
    samples = np.concatenate([quiet + rng.standard_normal(len(quiet)) * 20, loud, quiet])
    path = tmp_path / "vbr.aac"
    pcm = samples[: audio.aligned_length(len(samples))].astype("<i2")
    audio_codec.encode_pcm(pcm, [(audio_codec.aac_codec(0.9, rate), path)])
    stream = parse_adts(path.read_bytes())
    dest = tmp_path / "book.m4b"
    write_m4b_file(dest, AacTrack.of(stream), [stream.raw], [("一", 0, 1000)])
    data = dest.read_bytes()
    start, end = _path(data, b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd")
    esds = data.index(b"esds", start, end)
    config = data.index(b"\x04", esds + 12)  # DecoderConfigDescriptor
    body = config + 5  # tag and four length bytes
    max_bitrate, average = struct.unpack(">II", data[body + 5 : body + 13])
    seconds = len(stream.sizes) * 1024 / rate
    assert average == round(sum(stream.sizes) * 8 / seconds)
    window = round(rate / 1024)
    peak = max(sum(stream.sizes[i : i + window]) for i in range(len(stream.sizes) - window + 1))
    assert max_bitrate == round(peak * 8 * rate / (1024 * window))
    assert max_bitrate > 1.5 * average  # the loud second stands out
