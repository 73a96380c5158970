"""ID3 tags with chapter frames on real MP3s, and MP4 tags on a real M4B."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from PIL import Image
from probe import probe

from audiopack.audio.ffmpeg import decode_file_to_pcm, run_ffmpeg
from audiopack.errors import PackError
from audiopack.output.tags import TrackTags, clean_text, tag_m4b, tag_mp3

CHAPTERS = [
    ("第一点：坚定理想信念", 0, 1200),
    ("第二点 = ; # \\ 符号", 1200, 2500),
    ("三", 2500, 3000),
]


def _jpeg(colour: tuple[int, int, int] = (10, 20, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buf, "JPEG")
    return buf.getvalue()


def _make_mp3(path: Path, *extra: str) -> Path:
    run_ffmpeg(
        [
            "-y",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
            "-ar", "24000", "-ac", "1",
            "-c:a", "libmp3lame", "-b:a", "48k",
            *extra,
            str(path),
        ]
    )  # fmt: skip
    return path


def _audio_bytes(data: bytes) -> bytes:
    """The bytes of an MP3 after its ID3v2 tag and before an ID3v1 tag."""
    if data[:3] == b"ID3":
        size = 0
        for b in data[6:10]:
            size = (size << 7) | (b & 0x7F)
        footer = 10 if data[5] & 0x10 else 0
        data = data[10 + size + footer :]
    if len(data) >= 128 and data[-128:-125] == b"TAG":
        data = data[:-128]
    return data


@pytest.fixture
def raw_mp3(tmp_path: Path) -> Path:
    """An MP3 with no tag at all."""
    path = _make_mp3(tmp_path / "raw.mp3", "-id3v2_version", "0", "-write_id3v1", "0")
    assert path.read_bytes()[:3] != b"ID3"
    return path


@pytest.fixture
def tagged_mp3(tmp_path: Path) -> Path:
    """An MP3 with an ID3v2.4 tag (title, comment, encoder) and an ID3v1 tag."""
    path = _make_mp3(
        tmp_path / "old.mp3",
        "-metadata", "title=old title",
        "-metadata", "comment=old comment",
        "-write_id3v1", "1",
    )  # fmt: skip
    data = path.read_bytes()
    assert data[:3] == b"ID3" and data[-128:-125] == b"TAG"
    return path


def _tag(path: Path, **overrides: object) -> bytes:
    cover = _jpeg()
    kwargs: dict[str, object] = {
        "title": "第一章 坚定理想信念",
        "album": "在专题会议上的讲话",
        "artist": "某某同志",
        "track": 2,
        "total": 7,
        "year": "2024",
        "cover_jpeg": cover,
        "chapters": CHAPTERS,
        "lyrics": "第一行\n第二行",
    }
    kwargs.update(overrides)
    tag_mp3(path, TrackTags(**kwargs))  # type: ignore[arg-type]
    return cover


def test_tag_raw_mp3_all_frames(raw_mp3: Path) -> None:
    from mutagen.id3 import ID3

    cover = _tag(raw_mp3)
    tags = ID3(raw_mp3)
    assert tags.version == (2, 3, 0)
    assert tags["TIT2"].text == ["第一章 坚定理想信念"]
    assert tags["TALB"].text == ["在专题会议上的讲话"]
    assert tags["TPE1"].text == ["某某同志"]
    assert tags["TPE2"].text == ["某某同志"]
    assert tags["TRCK"].text == ["2/7"]
    assert str(tags["TDRC"].text[0]) == "2024"
    assert tags["TCON"].text == ["Speech"]
    apic = tags.getall("APIC")
    assert len(apic) == 1
    assert apic[0].mime == "image/jpeg" and apic[0].type == 3 and apic[0].data == cover
    uslt = tags.getall("USLT")
    assert len(uslt) == 1 and uslt[0].text == "第一行\n第二行"


def test_tag_writes_year_as_tyer_in_v23(raw_mp3: Path) -> None:
    _tag(raw_mp3, year="2024年3月")
    data = raw_mp3.read_bytes()
    size = 0
    for b in data[6:10]:
        size = (size << 7) | (b & 0x7F)
    header = data[: 10 + size]
    assert data[3] == 3
    assert b"TYER" in header and b"TDRC" not in header


def test_chapter_frames(raw_mp3: Path) -> None:
    from mutagen.id3 import ID3, CTOCFlags

    _tag(raw_mp3)
    tags = ID3(raw_mp3)
    chaps = sorted(tags.getall("CHAP"), key=lambda f: int(f.element_id[3:]))
    assert [c.element_id for c in chaps] == ["chp0", "chp1", "chp2"]
    assert [(c.sub_frames["TIT2"].text[0], c.start_time, c.end_time) for c in chaps] == CHAPTERS
    tocs = tags.getall("CTOC")
    assert len(tocs) == 1
    toc = tocs[0]
    assert toc.element_id == "toc"
    assert toc.flags & CTOCFlags.TOP_LEVEL and toc.flags & CTOCFlags.ORDERED
    assert list(toc.child_element_ids) == ["chp0", "chp1", "chp2"]
    assert toc.sub_frames["TIT2"].text == ["第一章 坚定理想信念"]


def test_audio_bytes_unchanged_raw(raw_mp3: Path) -> None:
    before = raw_mp3.read_bytes()
    _tag(raw_mp3)
    after = raw_mp3.read_bytes()
    assert after[:3] == b"ID3"
    assert _audio_bytes(after) == before


def test_existing_tags_replaced(tagged_mp3: Path) -> None:
    from mutagen.id3 import ID3

    before = _audio_bytes(tagged_mp3.read_bytes())
    pcm_before = decode_file_to_pcm(str(tagged_mp3))
    _tag(tagged_mp3)
    after = tagged_mp3.read_bytes()
    assert _audio_bytes(after) == before
    assert after[-128:-125] != b"TAG"  # ID3v1 removed: it cannot hold Chinese
    tags = ID3(tagged_mp3)
    assert tags["TIT2"].text == ["第一章 坚定理想信念"]
    assert not tags.getall("COMM") and not tags.getall("TSSE")
    assert decode_file_to_pcm(str(tagged_mp3)) == pcm_before


def test_retag_replaces_chapters(raw_mp3: Path) -> None:
    from mutagen.id3 import ID3

    _tag(raw_mp3)
    audio = _audio_bytes(raw_mp3.read_bytes())
    _tag(raw_mp3, chapters=[("only", 0, 3000)], cover_jpeg=None, lyrics=None, year=None)
    tags = ID3(raw_mp3)
    assert [c.element_id for c in tags.getall("CHAP")] == ["chp0"]
    assert list(tags.getall("CTOC")[0].child_element_ids) == ["chp0"]
    assert not tags.getall("APIC") and not tags.getall("USLT") and "TDRC" not in tags
    assert _audio_bytes(raw_mp3.read_bytes()) == audio


def test_no_chapters_no_toc(raw_mp3: Path) -> None:
    from mutagen.id3 import ID3

    _tag(raw_mp3, chapters=[])
    tags = ID3(raw_mp3)
    assert not tags.getall("CHAP") and not tags.getall("CTOC")


def test_odd_text_is_cleaned(raw_mp3: Path) -> None:
    from mutagen.id3 import ID3

    _tag(raw_mp3, title="a\x00b\nc\td😀", chapters=[("x\x01\r\ny", 0, 10)])
    tags = ID3(raw_mp3)
    assert tags["TIT2"].text == ["ab c d😀"]  # a NUL would have split the value in two
    assert tags.getall("CHAP")[0].sub_frames["TIT2"].text == ["x y"]


def test_mode_kept_and_no_temp_left(raw_mp3: Path) -> None:
    raw_mp3.chmod(0o644)
    _tag(raw_mp3)
    assert stat.S_IMODE(raw_mp3.stat().st_mode) == 0o644
    assert sorted(p.name for p in raw_mp3.parent.iterdir()) == ["raw.mp3"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PackError):
        _tag(tmp_path / "nope.mp3")


def test_mutagen_still_reads_stream(raw_mp3: Path) -> None:
    from mutagen.mp3 import MP3

    before = MP3(raw_mp3).info.length
    _tag(raw_mp3)
    assert MP3(raw_mp3).info.length == pytest.approx(before, abs=0.001)


def test_libavformat_reads_chapters(raw_mp3: Path) -> None:
    _tag(raw_mp3)
    found = probe(raw_mp3)
    got = [(c.title, c.start_s, c.end_s) for c in found.chapters]
    assert got == [(t, s / 1000, e / 1000) for t, s, e in CHAPTERS]


def test_clean_text() -> None:
    assert clean_text("  a\r\nb\x00c ") == "a bc"
    assert clean_text("a\r\nb\x07", multiline=True) == "a\nb"
    assert clean_text("\ud800x") == "?x"


# --- M4B -------------------------------------------------------------------------------


@pytest.fixture
def m4b(tmp_path: Path) -> Path:
    path = tmp_path / "book.m4b"
    run_ffmpeg(
        [
            "-y",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
            "-ar", "24000", "-ac", "1",
            "-c:a", "aac", "-b:a", "48k",
            "-metadata", "comment=kept",
            "-f", "ipod", str(path),
        ]
    )  # fmt: skip
    return path


def test_tag_m4b(m4b: Path) -> None:
    from mutagen.mp4 import MP4, MP4Cover

    cover = _jpeg()
    length = MP4(m4b).info.length
    tag_m4b(
        m4b,
        title="讲话",
        album="学习音频包",
        artist="某某",
        year="2024-03-01",
        cover_jpeg=cover,
    )
    mp4 = MP4(m4b)
    tags = mp4.tags
    assert tags is not None
    assert tags["©nam"] == ["讲话"]
    assert tags["©alb"] == ["学习音频包"]
    assert tags["©ART"] == ["某某"]
    assert tags["aART"] == ["某某"]
    assert tags["©day"] == ["2024"]
    assert tags["©gen"] == ["Audiobook"]
    assert tags["stik"] == [2]
    assert tags["©cmt"] == ["kept"]
    (covr,) = tags["covr"]
    assert covr.imageformat == MP4Cover.FORMAT_JPEG and bytes(covr) == cover
    assert mp4.info.length == pytest.approx(length, abs=0.01)
    assert sorted(p.name for p in m4b.parent.iterdir()) == ["book.m4b"]


def test_tag_m4b_twice_replaces(m4b: Path) -> None:
    from mutagen.mp4 import MP4

    tag_m4b(m4b, title="a", album="b", artist="c", year="2024", cover_jpeg=_jpeg())
    tag_m4b(
        m4b,
        title="x",
        album="y",
        artist="z",
        year=None,
        cover_jpeg=_jpeg((200, 0, 0)),
        genre="Speech",
    )
    tags = MP4(m4b).tags
    assert tags is not None
    assert tags["©nam"] == ["x"] and tags["©gen"] == ["Speech"] and "©day" not in tags
    assert len(tags["covr"]) == 1
    assert bytes(tags["covr"][0]) == _jpeg((200, 0, 0))


def test_tag_m4b_not_mp4(tmp_path: Path) -> None:
    path = tmp_path / "x.m4b"
    path.write_text("not a movie")
    with pytest.raises(PackError):
        tag_m4b(path, title="a", album="b", artist="c", year=None, cover_jpeg=None)
    assert path.read_text() == "not a movie"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.m4b"]


def test_chap_frames_stored_in_order(raw_mp3: Path) -> None:
    import re

    chapters = [(f"点{i}", i * 200, (i + 1) * 200) for i in range(12)]
    _tag(raw_mp3, chapters=chapters)
    data = raw_mp3.read_bytes()
    ids = re.findall(rb"CHAP.{6}chp(\d+)\x00", data[:20000], flags=re.DOTALL)
    assert [int(i) for i in ids] == list(range(12))
    assert data.index(b"CTOC") < data.index(b"CHAP")
