"""The user's own audio: intro, outro and chime, heard where index.json says they are."""

from __future__ import annotations

import json
import math
import wave
from fractions import Fraction
from pathlib import Path

import av
import lameenc
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ToneEngine, build_pack, decode, read_index, rms, starts_after_silence

from audiopack import housekeeping
from audiopack.audio import jingles
from audiopack.cli import main
from audiopack.errors import ConfigError
from audiopack.model import SAMPLE_RATE
from audiopack.output.book import read_m4b_chapters

INTRO_HZ, OUTRO_HZ, CHIME_HZ = 1000, 1500, 2000  # the tone engine speaks at 200-600 Hz


def tone(freq: float, seconds: float, rate: int, amplitude: float = 0.2) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return amplitude * np.sin(2 * math.pi * freq * t)


def write_wav(path: Path, samples: np.ndarray, rate: int, channels: int = 1) -> Path:
    pcm = np.repeat((samples * 32767).astype("<i2"), channels)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


def write_flac(path: Path, samples: np.ndarray, rate: int) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("flac", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            (samples * 32767).astype("<i2").reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate, frame.time_base, frame.pts = rate, Fraction(1, rate), 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return path


def write_mp3(path: Path, samples: np.ndarray, rate: int) -> Path:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(128)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    pcm = (samples * 32767).astype("<i2").tobytes()
    path.write_bytes(bytes(encoder.encode(pcm) + encoder.flush()))
    return path


@pytest.fixture
def jingle_files(tmp_path: Path) -> dict[str, Path]:
    """An intro in stereo 44.1 kHz WAV with silence around it (trimmed away: 1.0 s of sound),
    an outro in 48 kHz FLAC (0.8 s), a short quiet chime in 44.1 kHz MP3 (0.3 s)."""
    silence = np.zeros(int(0.3 * 44100))
    intro = np.concatenate([silence, tone(INTRO_HZ, 1.0, 44100), silence, silence])
    return {
        "intro": write_wav(tmp_path / "intro.wav", intro, 44100, channels=2),
        "outro": write_flac(tmp_path / "outro.flac", tone(OUTRO_HZ, 0.8, 48000), 48000),
        "chime": write_mp3(tmp_path / "chime.mp3", tone(CHIME_HZ, 0.3, 44100, 0.02), 44100),
    }


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * SAMPLE_RATE / len(samples))


def span(samples: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    return samples[int(start_s * SAMPLE_RATE) : int(end_s * SAMPLE_RATE)]


def test_jingles_are_heard_where_the_index_says(
    short_script: Path, tmp_path: Path, tone_engine: ToneEngine, jingle_files: dict[str, Path]
) -> None:
    import pyloudnorm

    out = tmp_path / "pack"
    build_pack(short_script, out, tone_engine, formats="mp3,m4b,book-mp3", **jingle_files)
    index = read_index(out)
    chapters = index["chapters"]
    assert [c["kind"] for c in chapters] == [
        "jingle", "opening", "section", "section", "closing", "jingle"
    ]  # fmt: skip
    assert [c["file"] for c in chapters][::5] == ["00-片头.mp3", "05-片尾.mp3"]
    items = {(n, p["title"]): p for n, c in enumerate(chapters) for p in c["points"] if "kind" in p}
    assert sorted(items) == [(0, "片头"), (2, "提示音"), (3, "提示音"), (4, "提示音"), (5, "片尾")]
    assert all(p["kind"] == "jingle" and p["sentences"] == [] for p in items.values())
    assert all(next(iter(c["points"])).get("kind") == "jingle" for c in chapters[2:])
    assert "kind" not in chapters[1]["points"][0]  # no chime before the first chapter

    book = decode(out / index["book"]["mp3"])
    assert len(book) / SAMPLE_RATE == pytest.approx(index["duration"], abs=0.001)
    meter = pyloudnorm.Meter(SAMPLE_RATE)
    for (n, title), item in items.items():
        start, end = chapters[n]["start"] + item["start"], chapters[n]["start"] + item["end"]
        expected_hz = {"片头": INTRO_HZ, "片尾": OUTRO_HZ, "提示音": CHIME_HZ}[title]
        assert dominant_hz(span(book, start + 0.05, end - 0.05)) == pytest.approx(
            expected_hz, abs=15
        )
        # Trimmed to its sound: loud from its start, and nothing of it after its end.
        assert rms(span(book, start, start + 0.02)) > 1000
        assert rms(span(book, end + 0.01, end + 0.1)) < 30
        # In its own chapter file too, at the same place.
        own = decode(out / chapters[n]["file"])
        assert dominant_hz(span(own, item["start"] + 0.05, item["end"] - 0.05)) == pytest.approx(
            expected_hz, abs=15
        )
    intro, outro = items[(0, "片头")], items[(5, "片尾")]
    assert intro["end"] - intro["start"] == pytest.approx(1.0, abs=0.02)
    assert outro["end"] - outro["start"] == pytest.approx(0.8, abs=0.02)
    intro_audio = span(book, intro["start"], intro["end"]).astype(np.float64) / 32768
    assert meter.integrated_loudness(intro_audio) == pytest.approx(-16.0, abs=1.0)
    chime = items[(2, "提示音")]
    chime_audio = span(
        book, chapters[2]["start"] + chime["start"], chapters[2]["start"] + chime["end"]
    )
    assert rms(chime_audio) > 3 * 0.02 * 32767 / math.sqrt(2)  # levelled up, not left quiet

    # Every sentence still starts on its speech, in its chapter file and in the book.
    checked = 0
    for chapter in chapters:
        own = decode(out / chapter["file"])
        for point in chapter["points"]:
            for sentence in point["sentences"]:
                assert starts_after_silence(own, sentence["start"], 0.03), sentence["text"]
                at = chapter["start"] + sentence["start"]
                assert starts_after_silence(book, at, 0.03), sentence["text"]
                checked += 1
    assert checked >= 10

    # Chapter marks (M4B) and the texts follow the same timeline.
    marks = read_m4b_chapters(out / index["book"]["m4b"])
    assert [t for t, _ in marks] == [c["title"] for c in chapters]
    assert [s for _, s in marks] == pytest.approx([c["start"] for c in chapters], abs=0.002)
    srt = (out / "book.srt").read_text("utf-8")
    first = chapters[2]["points"][1]["sentences"][0]
    clock = chapters[2]["start"] + first["start"]
    stamp = f"{int(clock // 3600):02d}:{int(clock % 3600 // 60):02d}:{clock % 60:06.3f}"
    assert stamp.replace(".", ",") + " --> " in srt
    lrc = (out / "02-提高思想认识.lrc").read_text("utf-8").splitlines()
    assert "提示音" not in srt and not any("片头" in line for line in lrc)
    heading = lrc[4]  # after the [ti:], [al:], [ar:] and [length:] lines
    minutes, seconds = heading[1:9].split(":")
    assert heading.endswith("一、提高思想认识")
    assert int(minutes) * 60 + float(seconds) > items[(2, "提示音")]["end"]  # after the chime
    index_md = (out / "index.md").read_text("utf-8")
    assert "共 4 章" in index_md and "提示音" not in index_md and "## 00:00 片头" in index_md
    page = (out / "index.html").read_text("utf-8")
    data = json.loads(page.split('id="pack-data">', 1)[1].split("</script>", 1)[0])
    for shown, chapter in zip(data["chapters"], chapters, strict=True):
        sentences = [[s["start"], s["end"]] for p in chapter["points"] for s in p["sentences"]]
        assert shown["sentences"] == sentences and shown["start"] == chapter["start"]


def test_jingles_are_cached_and_an_edit_keeps_them(
    short_script: Path,
    tmp_path: Path,
    tone_engine: ToneEngine,
    jingle_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "pack"
    build_pack(short_script, out, tone_engine, chime=jingle_files["chime"])

    def no_decoding(*args: object) -> None:
        raise AssertionError("a cached jingle was decoded again")

    monkeypatch.setattr(jingles, "decode", no_decoding)
    assert build_pack(short_script, out, tone_engine, chime=jingle_files["chime"]).changed == ()
    assert housekeeping.prune([out], None) == (0, 0)  # the pack's manifest keeps the jingle
    monkeypatch.undo()
    # Other bytes, same name: decoded again, and only the chapters with a chime change.
    write_mp3(jingle_files["chime"], tone(CHIME_HZ, 0.5, 44100), 44100)
    result = build_pack(short_script, out, tone_engine, chime=jingle_files["chime"])
    assert "01-开场.mp3" not in result.changed and "02-提高思想认识.mp3" in result.changed
    index = read_index(out)
    chime = index["chapters"][1]["points"][0]
    assert chime["end"] - chime["start"] == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize("kind", ["text", "empty", "silent", "hiss", "missing"])
def test_a_bad_file_stops_before_any_synthesis(
    short_script: Path, tmp_path: Path, tone_engine: ToneEngine, kind: str
) -> None:
    out = tmp_path / "pack"
    build_pack(short_script, out, tone_engine)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    calls = len(tone_engine.requests)
    bad = tmp_path / "bad.mp3"
    if kind == "text":
        bad.write_text("这不是音频\n" * 50, "utf-8")
    elif kind == "empty":
        bad.write_bytes(b"")
    elif kind == "silent":
        write_wav(bad, np.zeros(44100), 44100)
    elif kind == "hiss":  # -70 dBFS
        write_wav(bad, tone(800, 1.0, 44100, amplitude=0.0003), 44100)
    short_script.write_text(short_script.read_text("utf-8") + "新增一段。\n", "utf-8")
    with pytest.raises(ConfigError, match=r"--outro .*bad\.mp3") as caught:
        build_pack(short_script, out, tone_engine, outro=bad)
    assert "\n" not in str(caught.value)
    assert len(tone_engine.requests) == calls  # nothing synthesised
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_cli_reports_a_bad_jingle_in_one_line(short_script: Path, tmp_path: Path) -> None:
    bad = tmp_path / "chime.wav"
    bad.write_bytes(b"RIFF0000WAVEnonsense")
    out = tmp_path / "pack"
    args = ["build", str(short_script), "-o", str(out), "--engine", "espeak", "--chime", str(bad)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("Error: cannot use --chime")
    assert not list(out.glob("*.mp3"))


def test_a_blip_is_kept(tmp_path: Path) -> None:
    blip = write_wav(tmp_path / "blip.wav", tone(800, 0.003, 44100, 0.5), 44100)
    levelled = jingles.process(jingles.decode(blip, SAMPLE_RATE, "chime"))
    assert len(levelled) == pytest.approx(0.003 * SAMPLE_RATE, abs=0.002 * SAMPLE_RATE)
    assert rms(levelled) > 1000


def test_a_short_quiet_chime_is_levelled(jingle_files: dict[str, Path]) -> None:
    segment = jingles.decode(jingle_files["chime"], SAMPLE_RATE, "chime")
    assert segment.frame_rate == SAMPLE_RATE and segment.channels == 1
    levelled = jingles.process(segment)
    assert len(levelled) == pytest.approx(0.3 * SAMPLE_RATE, abs=0.02 * SAMPLE_RATE)
    assert rms(levelled) > 8 * rms(np.frombuffer(segment.raw_data, dtype="<i2"))
    assert abs(int(levelled[0])) < 500  # faded in
