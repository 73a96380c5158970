"""Every file of a pack gets the mode the user's umask gives new files (0644 under the usual
022): the pack is copied to phones and served to others. The M4B was once 0600 (a temporary
file made by mkstemp and renamed into place)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ToneEngine

from audiopack import pipeline
from audiopack.config import BuildConfig


@pytest.fixture
def umask() -> Iterator[None]:
    """The test sets the process umask; this puts the previous one back."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664)])
def test_every_pack_file_has_the_umask_mode(
    short_script: Path,
    tmp_path: Path,
    tone_engine: ToneEngine,
    umask: None,
    mask: int,
    mode: int,
) -> None:
    import wave

    chime = tmp_path / "chime.wav"
    with wave.open(str(chime), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(bytes(range(256)) * 64)
    os.umask(mask)
    out_dir = tmp_path / "pack"
    config = BuildConfig(manuscript=short_script, output_dir=out_dir, engine="espeak",
                         formats="mp3,m4b,book-mp3", chime=chime)  # fmt: skip
    pipeline.build(config, engine=tone_engine)
    # Rebuilt after an edit too: replaced files must keep the mode.
    short_script.write_text(short_script.read_text("utf-8") + "再加一句。\n", "utf-8")
    pipeline.build(config, engine=tone_engine)
    files = sorted(p for p in out_dir.iterdir() if p.is_file())
    suffixes = {p.suffix for p in files}
    assert {".mp3", ".m4b", ".lrc", ".json", ".html", ".md", ".srt", ".vtt", ".jpg"} <= suffixes
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {
        p.name: oct(mode) for p in files
    }
