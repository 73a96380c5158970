"""The book as one MP3: stream-copied pieces, nested ID3 chapters, its .lrc, its edits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import av
import av.logging
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ToneEngine, build_pack, read_index, starts_after_silence
from mutagen.id3 import ID3

from audiopack import pipeline
from audiopack.audio import codec as audio_codec
from audiopack.cli import main
from audiopack.config import BuildConfig
from audiopack.errors import ConfigError
from audiopack.model import SAMPLE_RATE


def decode_checked(path: Path) -> np.ndarray:
    """Decode with PyAV (FFmpeg's libraries in-process); fails on any decoder error."""
    chunks = []
    with av.logging.Capture() as logs, av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            assert frame.sample_rate == SAMPLE_RATE and frame.layout.name == "mono"
            chunks.append(frame.to_ndarray().reshape(-1))
    errors = [m for level, _, m in logs if level <= av.logging.WARNING]
    assert errors == []
    samples = np.concatenate(chunks)
    if samples.dtype.kind == "f":
        samples = samples * 32767.0
    return samples.astype(np.int16)


def audio_bytes(path: Path) -> bytes:
    """The MP3 frames of a file: what follows its ID3v2 tag."""
    data = path.read_bytes()
    assert data[:3] == b"ID3"
    size = 0
    for b in data[6:10]:
        size = (size << 7) | b
    return data[10 + size :]


def test_book_mp3_with_chapter_files_and_m4b(
    short_script: Path, tmp_path: Path, tone_engine: ToneEngine
) -> None:
    out = tmp_path / "pack"
    build_pack(short_script, out, tone_engine, formats="mp3,m4b,book-mp3")
    index = read_index(out)
    book = index["book"]
    assert book == {"file": "关于学习的几点体会.m4b", "m4b": "关于学习的几点体会.m4b",
                    "mp3": "关于学习的几点体会.mp3"}  # fmt: skip
    path = out / book["mp3"]
    index_md = (out / "index.md").read_text("utf-8")
    assert "有声书：`关于学习的几点体会.m4b`、`关于学习的几点体会.mp3`" in index_md

    # The same frames as the chapter files, joined: stream copy, nothing re-encoded.
    chapters = index["chapters"]
    assert audio_bytes(path) == b"".join(audio_bytes(out / c["file"]) for c in chapters)
    frames = audio_codec.mp3_frame_count(audio_bytes(path))
    samples = decode_checked(path)
    assert len(samples) == frames * 576
    assert len(samples) / SAMPLE_RATE == pytest.approx(index["duration"], abs=0.001)

    tags = ID3(path)
    assert str(tags["TIT2"]) == index["title"]
    assert tags.getall("APIC")[0].data == (out / "cover.jpg").read_bytes()
    top = next(t for t in tags.getall("CTOC") if t.flags & 1)  # TOP_LEVEL
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    chapter_ids = [e for e in top.child_element_ids if e in chaps]
    assert [str(chaps[e].sub_frames["TIT2"]) for e in chapter_ids] == [c["title"] for c in chapters]
    assert [chaps[e].start_time for e in chapter_ids] == [
        round(c["start"] * 1000) for c in chapters
    ]
    assert [chaps[e].end_time for e in chapter_ids] == [round(c["end"] * 1000) for c in chapters]
    # Second level: each chapter's points, on the book's timeline.
    tocs = {t.element_id: t for t in tags.getall("CTOC")}
    for n, chapter in enumerate(chapters):
        sub = tocs[f"toc{n}"]
        assert sub.element_id in top.child_element_ids
        starts = [chaps[e].start_time for e in sub.child_element_ids]
        assert starts == [round((chapter["start"] + p["start"]) * 1000) for p in chapter["points"]]

    # Every sentence starts on its speech at chapter start + sentence start in the book.
    lrc = path.with_suffix(".lrc").read_text("utf-8")
    checked = 0
    for chapter in chapters:
        for point in chapter["points"]:
            for sentence in point["sentences"]:
                at = chapter["start"] + sentence["start"]
                assert starts_after_silence(samples, at, tolerance_s=0.03), sentence["text"]
                minutes, seconds = divmod(round(at * 100) / 100, 60)
                assert f"[{int(minutes):02d}:{seconds:05.2f}]{sentence['text']}" in lrc
                checked += 1
    assert checked >= 10


def test_book_mp3_alone_and_edits_copy_without_encoding(
    short_script: Path, tmp_path: Path, tone_engine: ToneEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "pack"
    build_pack(short_script, out, tone_engine, formats="book-mp3")
    index = read_index(out)
    name = "关于学习的几点体会.mp3"
    assert index["book"] == {"file": name, "mp3": name}
    assert all(c["file"] is None for c in index["chapters"])
    assert sorted(p.name for p in out.glob("*.mp3")) == [name]
    assert not list(out.glob("*.m4b")) and not (out / "playlist.m3u8").exists()
    assert sorted(p.name for p in out.glob("*.lrc")) == ["关于学习的几点体会.lrc"]
    before = (out / name).read_bytes()

    encoded: list[int] = []
    real = audio_codec.encode_pcm

    def counting(samples: Any, outputs: Any) -> None:
        encoded.append(1)
        real(samples, outputs)

    monkeypatch.setattr(audio_codec, "encode_pcm", counting)
    short_script.write_text(
        short_script.read_text("utf-8").replace("方法得当", "方法正确"), "utf-8"
    )
    config = BuildConfig(
        manuscript=short_script, output_dir=out, engine="espeak", formats="book-mp3"
    )
    report = pipeline.plan_build(config, engine=tone_engine)
    assert isinstance(report, pipeline.DryRunReport) and report.changed_files == (name,)
    result = build_pack(short_script, out, tone_engine, formats="book-mp3")
    assert name in result.changed and len(encoded) == 1  # one piece encoded, the rest copied
    after = (out / name).read_bytes()
    assert after != before
    index = read_index(out)
    samples = decode_checked(out / name)
    assert len(samples) / SAMPLE_RATE == pytest.approx(index["duration"], abs=0.001)
    for chapter in index["chapters"]:
        for point in chapter["points"]:
            for sentence in point["sentences"]:
                at = chapter["start"] + sentence["start"]
                assert starts_after_silence(samples, at, tolerance_s=0.03), sentence["text"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("both", {"mp3", "m4b"}), ("mp3, book-mp3", {"mp3", "book-mp3"}), ("M4B", {"m4b"})],
)
def test_formats_list(short_script: Path, value: str, expected: set[str]) -> None:
    assert BuildConfig(manuscript=short_script, formats=value).format_set == expected


@pytest.mark.parametrize("value", ["mp3,ogg", "", "mp3,", "book_mp3"])
def test_bad_formats_are_a_one_line_usage_error(
    short_script: Path, tmp_path: Path, value: str
) -> None:
    with pytest.raises(ConfigError, match="--formats"):
        BuildConfig(manuscript=short_script, formats=value)
    out = tmp_path / "pack"
    result = CliRunner().invoke(
        main, ["build", str(short_script), "-o", str(out), "--formats", value]
    )
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "--formats" in errors[0] and "book-mp3" in errors[0]
    assert repr(value) in errors[0]
    assert "Traceback" not in result.output and not out.exists()


def test_page_plays_the_book_mp3(
    short_script: Path, tmp_path: Path, tone_engine: ToneEngine
) -> None:
    out = tmp_path / "pack"
    build_pack(short_script, out, tone_engine, formats="book-mp3")
    page = (out / "index.html").read_text("utf-8")
    data = page.split('id="pack-data">', 1)[1].split("</script>", 1)[0]
    assert json.loads(data)["book"] == quote("关于学习的几点体会.mp3")
