"""Hostile and odd input, faults, and nothing escaping the pack."""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ToneEngine

from audiopack import pipeline
from audiopack.cli import main
from audiopack.config import BuildConfig
from audiopack.errors import PackError, ToolError
from audiopack.output.names import safe_component
from audiopack.pipeline import BuildResult

HOSTILE = """危险标题<script>alert(1)</script>
同志们：
今天讲三点。<speak><prosody rate="x-fast">不要朗读标记</prosody></speak>，A&amp;B。
一、../../etc/passwd
控制字符\x07与表情😀都要处理。[00:01.00]伪造歌词行。
二、CON
第二部分内容。\n-->\n伪造字幕。
三、a/b\\\\c:d*e?f"g<h>i|j
<img src=x onerror=alert(1)>图片标签也是文本。
四、NUL.txt
最后一部分，#EXTINF:1,evil 也只是文字。
"""


def _files_inside(out: Path) -> list[Path]:
    files = [p for p in out.rglob("*") if p.is_file()]
    root = out.resolve()
    for path in files:
        assert path.resolve().is_relative_to(root)
    return files


def test_hostile_manuscript_builds_a_safe_pack(tmp_path: Path, tone_engine: ToneEngine) -> None:
    script = tmp_path / "hostile.txt"
    script.write_text(HOSTILE, "utf-8")
    out = tmp_path / "pack"
    result = pipeline.build(
        BuildConfig(manuscript=script, output_dir=out, engine="espeak"), engine=tone_engine
    )
    assert isinstance(result, BuildResult)
    assert result.chapters == 5
    outside = list(tmp_path.iterdir())
    assert sorted(p.name for p in outside) == ["hostile.txt", "pack"]
    for path in _files_inside(out):
        if ".audiopack" in path.parts:
            continue
        name = path.name
        assert not re.search(r'[<>:"/\\|?*\x00-\x1f]', name), name
        assert name.split(".")[0].upper() not in {"CON", "NUL", "PRN", "AUX"}
        assert len(name.encode("utf-8")) <= 200
    html = (out / "index.html").read_text("utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;" in html
    for lrc in out.glob("*.lrc"):
        lines = lrc.read_text("utf-8").splitlines()
        assert all(re.match(r"^\[(ti|al|ar|length|\d\d:\d\d\.\d\d)", line) for line in lines), lines
    srt = (out / "book.srt").read_text("utf-8")
    for block in srt.strip().split("\n\n"):
        assert len(block.splitlines()) == 3 and "-->" in block.splitlines()[1]
        assert "-->" not in block.splitlines()[2]
    playlist = (out / "playlist.m3u8").read_text("utf-8").splitlines()
    assert sum(line.startswith("#EXTINF") for line in playlist) == 5
    # The engine was given text, never markup.
    spoken = " ".join(t for request in tone_engine.requests for t in request)
    assert "<" not in spoken and ">" not in spoken and "😀" not in spoken and "\x07" not in spoken
    index = json.loads((out / "index.json").read_text("utf-8"))
    shown = "".join(p["text"] for c in index["chapters"] for p in c["points"])
    assert "<speak>" in shown and "😀" in shown  # displayed text is never changed


@pytest.mark.parametrize(
    "title",
    ["..", ".", "CON", "nul.txt", "a/b", "x" * 400, "\x00\x01", "", "   ", "lpt1", "标题" * 100],
)
def test_safe_component(title: str) -> None:
    name = safe_component(title)
    assert name and name not in {".", ".."}
    assert not re.search(r'[<>:"/\\|?*\x00-\x1f]', name)
    assert name.split(".")[0].upper() not in {"CON", "NUL", "LPT1"}
    assert len(name.encode("utf-8")) <= 120


def test_unpunctuated_paragraph_is_split_for_synthesis(tmp_path: Path) -> None:
    from audiopack.audio.codec import mp3_codec
    from audiopack.planning import REQUEST_MAX_CHARS, SENTENCE_MAX_CHARS, Pauses, make_plan
    from audiopack.speech.sentences import SpeechOptions
    from audiopack.text.structure import load_manuscript

    script = tmp_path / "long.txt"
    script.write_text("全面从严治党永远在路上" * 2000 + "\n", "utf-8")
    manuscript = load_manuscript(script)
    assert sum(len(c.points) for c in manuscript.chapters) == 1  # one point in the outline
    plan = make_plan(
        manuscript, {"engine": "x"}, SpeechOptions(), Pauses(0.4, 0.8, 1.0), (mp3_codec(64),)
    )
    pieces = [piece for chapter in plan.chapters for piece in chapter.pieces]
    # Pieces, the unit of audio held in memory and re-encoded after an edit, stay small too.
    assert all(len(piece.segments) == 1 for piece in pieces)
    segments = [s for piece in pieces for s in piece.segments]
    assert len(segments) > 50
    # A request holds sentences up to REQUEST_MAX_CHARS, or one sentence cut to at most
    # SENTENCE_MAX_CHARS.
    for segment in segments:
        limit = REQUEST_MAX_CHARS if len(segment.texts) > 1 else SENTENCE_MAX_CHARS
        assert len("".join(segment.texts)) <= limit
    assert all(len("".join(s.texts).encode("utf-8")) < 4096 // 3 for s in segments)


def test_many_short_paragraphs_and_a_large_file_outline(tmp_path: Path) -> None:
    script = tmp_path / "many.txt"
    script.write_text("\n".join(f"第{i}行，内容。" for i in range(5000)), "utf-8")
    result = CliRunner().invoke(main, ["outline", str(script), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert sum(len(c["points"]) for c in data["chapters"]) == 5000
    big = tmp_path / "big.txt"
    big.write_text(
        ("一段很长的文字，用来测试一兆字节的稿件。\n" * 60000)[: 1_000_000 // 3], "utf-8"
    )
    assert big.stat().st_size > 900_000
    result = CliRunner().invoke(main, ["outline", str(big)])
    assert result.exit_code == 0


def test_disk_full_keeps_previous_pack(
    short_script: Path, tmp_path: Path, tone_engine: ToneEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "pack"
    config = BuildConfig(manuscript=short_script, output_dir=out, engine="espeak")
    pipeline.build(config, engine=tone_engine)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    short_script.write_text(short_script.read_text("utf-8").replace("学习", "研读"), "utf-8")
    import audiopack.output.pack as pack_module

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pack_module, "atomic_write_bytes", full)
    with pytest.raises(PackError, match="No space left on device"):
        pipeline.build(config, engine=tone_engine)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not list((out / ".audiopack").glob("staging-*"))


def test_encoder_failure_is_one_clear_error(
    short_script: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    import audiopack.audio.codec as audio_module

    def broken(samples: object, bitrate_k: int, rate: int) -> bytes:
        raise RuntimeError("lame_init_params failed")

    monkeypatch.setitem(audio_module._ENCODERS, "mp3", broken)
    previous = tmp_path / "p"
    result = CliRunner().invoke(
        main, ["build", str(short_script), "-o", str(previous), "--engine", "espeak"]
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot encode MP3 audio: lame_init_params failed")
    assert "Traceback" not in result.output
    assert not list(previous.glob("*.mp3"))
    with pytest.raises(ToolError):
        audio_module.encode_pcm(
            np.zeros(100, dtype="<i2"), [(audio_module.mp3_codec(64), tmp_path / "x.mp3")]
        )
    assert not (tmp_path / "x.mp3").exists()


def test_unwritable_output_is_one_clear_error(short_script: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", "utf-8")
    result = CliRunner().invoke(
        main, ["build", str(short_script), "-o", str(blocker / "pack"), "--engine", "espeak"]
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "Traceback" not in result.output
    assert blocker.read_text("utf-8") == "not a folder"


def test_verbose_shows_details(tmp_path: Path) -> None:
    script = tmp_path / "empty.txt"
    script.write_bytes(b"")
    result = CliRunner().invoke(main, ["build", str(script), "-vv"])
    assert result.exit_code == 1
    assert "Traceback" in result.output or "ManuscriptError" in result.output
