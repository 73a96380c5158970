"""Finding ffmpeg: a system one only when it can encode what packs need."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from audiopack.audio import ffmpeg


def _fake_ffmpeg(folder: Path, listing: str) -> Path:
    exe = folder / "ffmpeg"
    exe.write_text(f"#!/bin/sh\ncat <<'EOF'\n{listing}\nEOF\n", "utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


@pytest.fixture(autouse=True)
def _fresh_lookup() -> object:
    ffmpeg.ffmpeg_exe.cache_clear()
    yield
    ffmpeg.ffmpeg_exe.cache_clear()


def test_system_ffmpeg_without_lame_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake_ffmpeg(tmp_path, " A....D aac  AAC (Advanced Audio Coding)")
    monkeypatch.setattr(ffmpeg.shutil, "which", lambda _name: str(fake))
    chosen = ffmpeg.ffmpeg_exe()
    assert chosen != str(fake)
    assert "imageio_ffmpeg" in chosen


def test_capable_system_ffmpeg_is_preferred(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake_ffmpeg(tmp_path, " A....D aac  AAC\n A....D libmp3lame  MP3 (codec mp3)")
    monkeypatch.setattr(ffmpeg.shutil, "which", lambda _name: str(fake))
    assert ffmpeg.ffmpeg_exe() == str(fake)
