"""End to end with the real offline engine (eSpeak NG from the wheel) through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import decode, starts_after_silence

from audiopack.cli import main
from audiopack.model import SAMPLE_RATE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def espeak_pack(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    from conftest import SHORT_MANUSCRIPT

    root = tmp_path_factory.mktemp("e2e")
    script = root / "体会.txt"
    script.write_text(
        SHORT_MANUSCRIPT.replace("大家要认真准备。", "大家要认真准备，*书记很重视。"), "utf-8"
    )
    out = root / "pack"
    result = CliRunner().invoke(
        main, ["build", str(script), "-o", str(out), "--engine", "espeak", "--json"]
    )
    assert result.exit_code == 0, result.output
    index = json.loads((out / "index.json").read_text("utf-8"))
    return out, index, result.output


def test_json_result(espeak_pack: tuple[Path, dict, str]) -> None:
    _, index, output = espeak_pack
    data = json.loads(output.strip().splitlines()[-1])
    assert data["chapters"] == 4 and data["points"] == 8
    assert data["synthesized"] > 0 and data["reused"] == 0
    assert data["duration"] == pytest.approx(index["duration"])
    assert index["engine"]["name"] == "espeak"


def test_chapters_last_what_the_index_says(espeak_pack: tuple[Path, dict, str]) -> None:
    out, index, _ = espeak_pack
    for chapter in index["chapters"]:
        samples = decode(out / chapter["file"])
        assert len(samples) / SAMPLE_RATE == pytest.approx(
            chapter["end"] - chapter["start"], abs=0.05
        )


def test_pack_is_made_at_the_voices_own_rate(espeak_pack: tuple[Path, dict, str]) -> None:
    """eSpeak NG speaks at 22.05 kHz: chapters and book keep that rate (nothing is
    resampled) and still last exactly what the index says, to the sample."""
    from mutagen.mp3 import MP3
    from mutagen.mp4 import MP4

    from audiopack.engines.espeak import EspeakEngine

    out, index, _ = espeak_pack
    rate = EspeakEngine().sample_rate
    assert rate == 22050
    for chapter in index["chapters"]:
        info = MP3(out / chapter["file"]).info
        assert info.sample_rate == rate
        assert info.length == pytest.approx(chapter["end"] - chapter["start"], abs=0.03)
    books = list(out.glob("*.m4b"))
    assert len(books) == 1
    book = MP4(books[0]).info
    assert book.sample_rate == rate
    assert book.length == pytest.approx(index["duration"], abs=0.05)


def test_sentences_start_at_pause_to_speech_edges(espeak_pack: tuple[Path, dict, str]) -> None:
    out, index, _ = espeak_pack
    total = good = 0
    for chapter in index["chapters"]:
        samples = decode(out / chapter["file"])
        for point in chapter["points"]:
            for sentence in point["sentences"]:
                total += 1
                good += starts_after_silence(samples, sentence["start"])
    assert total >= 12
    assert good / total >= 0.9


def test_loudness_is_even(espeak_pack: tuple[Path, dict, str]) -> None:
    import pyloudnorm

    out, index, _ = espeak_pack
    meter = pyloudnorm.Meter(SAMPLE_RATE)
    for chapter in index["chapters"]:
        samples = decode(out / chapter["file"]).astype(np.float64) / 32768
        if len(samples) < SAMPLE_RATE * 3:
            continue
        assert meter.integrated_loudness(samples) == pytest.approx(-16, abs=1.5)
        assert np.abs(samples).max() < 10 ** (-1.5 / 20)


def test_tags_and_lyrics(espeak_pack: tuple[Path, dict, str]) -> None:
    from mutagen.id3 import ID3

    out, index, _ = espeak_pack
    first = index["chapters"][1]
    tags = ID3(out / first["file"])
    assert str(tags["TIT2"]) == first["title"]
    assert str(tags["TALB"]) == index["title"]
    assert str(tags["TRCK"]) == "2/4"
    assert len(tags.getall("CHAP")) == len(first["points"])
    lrc = (out / first["file"]).with_suffix(".lrc").read_bytes()
    assert not lrc.startswith(b"\xef\xbb\xbf")
    text = lrc.decode("utf-8")
    assert f"[al:{index['title']}]" in text
    assert "[00:" in text and "学习是干部成长的阶梯。" in text


def test_placeholder_is_displayed_but_not_spoken(espeak_pack: tuple[Path, dict, str]) -> None:
    _, index, _ = espeak_pack
    opening = index["chapters"][0]["points"][0]["text"]
    assert "*书记" in opening
