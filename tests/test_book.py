"""The M4B: ADTS parts joined without re-encoding, chapter marks on the speech, tags, cover."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from probe import probe

from audiopack.audio.ffmpeg import decode_file_to_pcm, run_ffmpeg
from audiopack.errors import PackError
from audiopack.model import SAMPLE_RATE
from audiopack.output.book import (
    AdtsInfo,
    adts_info,
    fit_title,
    map_chapter_starts,
    read_m4b_chapters,
    write_m4b,
)

SR = SAMPLE_RATE
LEAD_IN = 0.2  # each chapter's tone starts this long after the chapter start
PRIMING = 1024 / SR  # ffmpeg's AAC encoder delay
#: (PCM seconds of the part, chapter offsets inside it): every part starts with a chapter.
LAYOUT = [(2.5, [0.0, 1.0]), (1.7, [0.0]), (3.2, [0.0, 1.3, 2.0])]


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def _encode(pcm: bytes, dest: Path) -> Path:
    """As the pipeline makes a part: 24 kHz mono AAC 48k in ADTS."""
    run_ffmpeg(
        ["-y", "-f", "s16le", "-ar", str(SR), "-ac", "1", "-i", "pipe:0",
         "-c:a", "aac", "-b:a", "48k", "-f", "adts", str(dest)],
        stdin=pcm,
    )  # fmt: skip
    return dest


class Book:
    """Parts made as the pipeline makes them, with chapter starts in both timelines."""

    def __init__(self, folder: Path) -> None:
        self.parts: list[Path] = []
        self.part_durations: list[float] = []
        #: chapter starts in the speech timeline (the parts' PCM end to end)
        self.speech_chapters: list[tuple[str, float]] = []
        #: the same chapters in the joined file's decoded timeline (priming included)
        self.chapters: list[tuple[str, float]] = []
        #: per chapter: (index of its part, offset inside the part's PCM)
        self.where: list[tuple[int, float]] = []
        titles = iter(["开篇", "第一点 = ; # \\ 换\n行", "二、从严治党", "甲", "乙", "丙"])
        speech = decoded = 0.0
        for k, (duration, offsets) in enumerate(LAYOUT):
            n = round(duration * SR)
            x = np.zeros(n)
            burst = np.arange(round(0.3 * SR))
            for offset in offsets:
                a = round((offset + LEAD_IN) * SR)
                x[a : a + burst.size] = 0.5 * np.sin(2 * np.pi * 440 * burst / SR)
                title = next(titles)
                self.speech_chapters.append((title, speech + offset))
                in_file = decoded + (offset + PRIMING if offset else 0.0)
                self.chapters.append((title, round(in_file, 3)))
                self.where.append((k, offset))
            pcm = (x * 32767).astype("<i2").tobytes()
            part = _encode(pcm, folder / f"part{k}.aac")
            self.parts.append(part)
            self.part_durations.append(n / SR)
            speech += n / SR
            decoded += adts_info(part.read_bytes()).duration_s
        self.speech_total_s = speech
        self.total_s = decoded


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    return Book(tmp_path_factory.mktemp("parts"))


def _write(dest: Path, book: Book, **kwargs: object) -> bytes:
    cover = _jpeg()
    args: dict[str, object] = {
        "aac_parts": book.parts,
        "chapters": book.chapters,
        "total_s": book.total_s,
        "metadata": {"title": "专题会议讲话", "artist": "某某", "date": "2024", "comment": "c"},
        "cover_jpeg": cover,
    }
    args.update(kwargs)
    write_m4b(dest, **args)  # type: ignore[arg-type]
    return cover


def _onset(pcm: np.ndarray, start_s: float) -> float:
    """Seconds from ``start_s`` to the first loud sample."""
    seg = np.abs(pcm[round(start_s * SR) : round((start_s + 1.0) * SR)])
    return float(np.argmax(seg > 3000)) / SR


def _check_on_speech(dest: Path, book: Book) -> list[tuple[str, float]]:
    marks = read_m4b_chapters(dest)
    assert [t for t, _ in marks] == [fit_title(t) for t, _ in book.chapters]
    assert marks[1][0] == "第一点 = ; # \\ 换 行"
    pcm = np.frombuffer(decode_file_to_pcm(str(dest)), "<i2").astype(float)
    part_starts = np.cumsum([0.0] + [adts_info(p.read_bytes()).duration_s for p in book.parts])
    for (_, start), (k, offset) in zip(marks, book.where, strict=True):
        if offset == 0.0:
            # a chapter that opens a part is on the part's first frame; priming comes first
            assert start == pytest.approx(part_starts[k], abs=0.001)
            assert _onset(pcm, start) == pytest.approx(LEAD_IN + PRIMING, abs=0.003)
        else:
            # inside a part: exactly where that speech is
            assert _onset(pcm, start) == pytest.approx(LEAD_IN, abs=0.003)
    return marks


def test_chapter_marks_as_given(tmp_path: Path, book: Book) -> None:
    dest = tmp_path / "book.m4b"
    _write(dest, book)
    marks = _check_on_speech(dest, book)
    for (_, got), (_, given) in zip(marks, book.chapters, strict=True):
        assert got == pytest.approx(given, abs=0.0011)


def test_chapter_marks_from_speech_timeline(tmp_path: Path, book: Book) -> None:
    dest = tmp_path / "book.m4b"
    _write(
        dest,
        book,
        chapters=book.speech_chapters,
        total_s=book.speech_total_s,
        part_durations=book.part_durations,
    )
    marks = _check_on_speech(dest, book)
    for (_, got), (_, given) in zip(marks, book.chapters, strict=True):
        assert got == pytest.approx(given, abs=0.0011)
    # the drift that the mapping removes: each part's encoder delay and padding
    for (_, got), (_, speech), (k, _) in zip(marks, book.speech_chapters, book.where, strict=True):
        assert 0 <= got - speech <= 0.09 * (k + 1)


def test_m4b_tags_cover_duration(tmp_path: Path, book: Book) -> None:
    from mutagen.mp4 import MP4, MP4Cover

    dest = tmp_path / "book.m4b"
    cover = _write(dest, book)
    mp4 = MP4(dest)
    tags = mp4.tags
    assert tags is not None
    assert tags["©nam"] == ["专题会议讲话"]
    assert tags["©alb"] == ["专题会议讲话"]  # album defaults to the title
    assert tags["©ART"] == ["某某"] and tags["aART"] == ["某某"]
    assert tags["©day"] == ["2024"]
    assert tags["©gen"] == ["Audiobook"]
    assert tags["©cmt"] == ["c"]
    assert tags["stik"] == [2]
    (covr,) = tags["covr"]
    assert covr.imageformat == MP4Cover.FORMAT_JPEG and bytes(covr) == cover
    encoded = sum(adts_info(p.read_bytes()).duration_s for p in book.parts)
    assert mp4.info.length == pytest.approx(encoded, abs=0.2)
    assert mp4.info.length == pytest.approx(book.speech_total_s, abs=0.1 * len(book.parts))
    assert mp4.info.sample_rate == SR  # (mutagen reads stsd channels: 2 from ffmpeg 5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.m4b"]


def test_audio_not_reencoded(tmp_path: Path, book: Book) -> None:
    dest = tmp_path / "book.m4b"
    _write(dest, book, cover_jpeg=None)
    joined = b"".join(p.read_bytes() for p in book.parts)
    expected = decode_file_to_pcm_bytes(joined)
    assert decode_file_to_pcm(str(dest)) == expected


def decode_file_to_pcm_bytes(adts: bytes) -> bytes:
    return run_ffmpeg(
        ["-f", "aac", "-i", "pipe:0", "-f", "s16le", "-ac", "1", "-ar", str(SR), "pipe:1"],
        stdin=adts,
    )


def test_overwrites_existing_and_no_cover(tmp_path: Path, book: Book) -> None:
    from mutagen.mp4 import MP4

    dest = tmp_path / "book.m4b"
    dest.write_bytes(b"old")
    _write(dest, book, cover_jpeg=None, chapters=[], metadata={"title": "t"})
    tags = MP4(dest).tags
    assert tags is not None and "covr" not in tags
    assert read_m4b_chapters(dest) == []


def test_long_title_fits_chpl(tmp_path: Path, book: Book) -> None:
    dest = tmp_path / "book.m4b"
    long = "很长的标题" * 40
    _write(dest, book, chapters=[(long, 0.0), ("短", 1.0)])
    marks = read_m4b_chapters(dest)
    assert marks[0][0].endswith("…") and long.startswith(marks[0][0][:-1])
    assert len(marks[0][0].encode()) <= 255
    assert marks[1] == ("短", pytest.approx(1.0, abs=0.001))


def test_bad_part_is_pack_error(tmp_path: Path, book: Book) -> None:
    bad = tmp_path / "bad.aac"
    bad.write_bytes(b"this is not aac at all")
    dest = tmp_path / "book.m4b"
    with pytest.raises(PackError, match="not ADTS"):
        _write(dest, book, aac_parts=[book.parts[0], bad])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.aac"]


def test_missing_part_is_pack_error(tmp_path: Path, book: Book) -> None:
    with pytest.raises(PackError):
        _write(tmp_path / "book.m4b", book, aac_parts=[tmp_path / "nope.aac"])
    with pytest.raises(PackError):
        _write(tmp_path / "book.m4b", book, aac_parts=[])
    with pytest.raises(PackError):
        _write(tmp_path / "no" / "book.m4b", book)


def test_full_disk_is_pack_error_and_cleans_up(
    tmp_path: Path, book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import audiopack.output.book

    def full(dest: Path, *args: object) -> None:
        dest.write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(audiopack.output.book, "write_m4b_file", full)
    with pytest.raises(PackError, match="No space left on device"):
        _write(tmp_path / "book.m4b", book)
    assert list(tmp_path.iterdir()) == []


def test_libavformat_sees_chapters_and_no_offset(tmp_path: Path, book: Book) -> None:
    dest = tmp_path / "book.m4b"
    _write(dest, book)
    found = probe(dest)
    assert found.complaints == ()
    marks = read_m4b_chapters(dest)
    assert len(marks) >= 2
    assert [c.title for c in found.chapters] == [t for t, _ in marks]
    for chapter, (_, start_s) in zip(found.chapters, marks, strict=True):
        assert chapter.start_s == pytest.approx(start_s, abs=0.001)
    assert found.audio_start_s == 0.0


# --- pure helpers --------------------------------------------------------------------


def test_adts_info(book: Book) -> None:
    info = adts_info(book.parts[0].read_bytes())
    assert info.sample_rate == SR and info.channels == 1
    # PCM + 1024 priming samples, rounded up to whole frames
    assert info.frames == -(-(round(2.5 * SR) + 1024) // 1024)
    with pytest.raises(PackError):
        adts_info(b"")
    with pytest.raises(PackError):
        adts_info(book.parts[0].read_bytes()[:-3])  # truncated last frame


def test_fit_title() -> None:
    assert fit_title("短标题") == "短标题"
    cut = fit_title("字" * 100)
    assert len(cut.encode()) <= 255 and cut.endswith("…")
    assert fit_title("a\nb") == "a b"


def test_map_chapter_starts() -> None:
    # parts of 2.0 s and 1.0 s PCM -> ceil((n + 1024) / 1024) frames each
    parts = [
        AdtsInfo(frames=-(-(d + 1024) // 1024), sample_rate=SR, channels=1) for d in (2 * SR, SR)
    ]
    starts = [0.0, 0.5, 2.0, 2.25, 99.0]
    a1 = parts[0].duration_s
    end = a1 + parts[1].duration_s
    expected = [0.0, PRIMING + 0.5, a1, a1 + PRIMING + 0.25, end]
    assert map_chapter_starts(starts, parts, [2.0, 1.0]) == pytest.approx(expected, abs=1e-9)
    assert map_chapter_starts([], parts, [2.0, 1.0]) == []
    with pytest.raises(ValueError):
        map_chapter_starts(starts, parts, [1.0])


def test_total_mismatch_is_logged(
    tmp_path: Path, book: Book, caplog: pytest.LogCaptureFixture
) -> None:
    _write(tmp_path / "book.m4b", book, total_s=book.total_s + 1.0)
    assert "total_s" in caplog.text
