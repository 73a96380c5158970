"""Regeneration: watch mode, cache housekeeping, Ctrl-C in a real process, the book's marks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SHORT_MANUSCRIPT, ToneEngine, interruptible

from audiopack import pipeline
from audiopack.cli import main
from audiopack.config import BuildConfig

REPO = Path(__file__).resolve().parent.parent


def test_cache_info_and_prune(short_script: Path, tmp_path: Path, tone_engine: ToneEngine) -> None:
    out = tmp_path / "pack"
    config = BuildConfig(manuscript=short_script, output_dir=out, engine="espeak")
    pipeline.build(config, engine=tone_engine)
    info = CliRunner().invoke(main, ["cache", "info", str(out), "--json"])
    assert info.exit_code == 0, info.output
    before = json.loads(info.output)
    assert before["segments"] > 0 and before["pieces"] > 0 and before["unused"] == 0
    short_script.write_text(
        short_script.read_text("utf-8").replace("原著是源头活水。", "原著是根本。"), "utf-8"
    )
    pipeline.build(config, engine=tone_engine)
    after = json.loads(CliRunner().invoke(main, ["cache", "info", str(out), "--json"]).output)
    assert after["unused"] >= 2  # the old segment and piece
    pruned = CliRunner().invoke(main, ["cache", "prune", str(out)])
    assert pruned.exit_code == 0 and "removed" in pruned.output
    final = json.loads(CliRunner().invoke(main, ["cache", "info", str(out), "--json"]).output)
    assert final["unused"] == 0
    # The pruned cache still holds everything the pack needs: a rebuild synthesises nothing.
    calls = len(tone_engine.requests)
    result = pipeline.build(config, engine=tone_engine)
    assert result.synthesized == 0 and len(tone_engine.requests) == calls


def test_cache_commands_on_a_folder_that_is_no_pack(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["cache", "info", str(tmp_path)])
    assert result.exit_code == 1 and result.output.startswith("Error: ")


def test_watch_rebuilds_on_save_and_survives_mistakes(
    short_script: Path, tmp_path: Path, tone_engine: ToneEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from audiopack import watch as watch_module

    real_build = pipeline.build
    monkeypatch.setattr(
        pipeline, "build", lambda config, *a, **k: real_build(config, engine=tone_engine)
    )
    out = tmp_path / "pack"
    config = BuildConfig(manuscript=short_script, output_dir=out, engine="espeak")
    reports: list[str] = []
    complaints: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=watch_module.watch_and_build,
        args=(config, 0.2, reports.append, complaints.append, stop),
        daemon=True,
    )
    thread.start()

    def wait_for(predicate: object, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate() and time.monotonic() < deadline:  # type: ignore[operator]
            time.sleep(0.1)

    wait_for(lambda: any(r.startswith("watching") for r in reports))
    assert (out / "index.json").is_file()
    time.sleep(0.5)
    short_script.write_bytes(b"")  # saved with a mistake: reported, still watching
    wait_for(lambda: complaints)
    assert complaints and "still watching" in complaints[0]
    short_script.write_text(SHORT_MANUSCRIPT.replace("方法得当", "方法科学"), "utf-8")
    wait_for(lambda: "方法科学" in (out / "index.json").read_text("utf-8"))
    stop.set()
    thread.join(timeout=10)
    assert "方法科学" in (out / "index.json").read_text("utf-8")
    rebuilt = [r for r in reports if r.startswith("rebuilt")]
    assert len(rebuilt) >= 2
    assert "03-改进学习方法.mp3" in rebuilt[-1]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigint_midway_keeps_the_old_pack(tmp_path: Path) -> None:
    script = tmp_path / "speech.txt"
    sample = (REPO / "script" / "从严治党专题会议讲话.txt").read_text("utf-8")
    script.write_text(sample, "utf-8")
    out = tmp_path / "pack"
    command = [
        sys.executable,
        "-m",
        "audiopack",
        "build",
        str(script),
        "-o",
        str(out),
        "--engine",
        "espeak",
        "-q",
        "--formats",
        "mp3",
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=240)
    index_before = (out / "index.json").read_bytes()
    files_before = {
        name: (out / name).read_bytes()
        for name in [c["file"] for c in json.loads(index_before)["chapters"]]
    }
    # Change every paragraph so the rebuild has real work, then interrupt it midway.
    script.write_text(
        "\n".join(line + "（修订）" if line else line for line in sample.splitlines()), "utf-8"
    )
    process = interruptible(command, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    cache = out / ".audiopack" / "cache"
    before = len(list(cache.rglob("*.mp3")))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(list(cache.rglob("*.mp3"))) >= before + 2:  # the first rebuilt pieces are in
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert b"Traceback" not in stderr
    assert (out / "index.json").read_bytes() == index_before
    for name, data in files_before.items():
        assert (out / name).read_bytes() == data
    rerun = subprocess.run([*command, "--json"], capture_output=True, timeout=240, check=True)
    result = json.loads(rerun.stdout.decode("utf-8").strip().splitlines()[-1])
    assert result["reused"] > 0
    assert "（修订）" in (out / "index.json").read_text("utf-8")


@pytest.mark.slow
def test_book_chapter_marks_equal_the_index(short_script: Path, tmp_path: Path) -> None:
    from audiopack.output.book import read_m4b_chapters

    out = tmp_path / "pack"
    result = CliRunner().invoke(
        main, ["build", str(short_script), "-o", str(out), "--engine", "espeak"]
    )
    assert result.exit_code == 0, result.output
    index = json.loads((out / "index.json").read_text("utf-8"))
    marks = read_m4b_chapters(out / index["book"]["file"])
    assert [title for title, _ in marks] == [c["title"] for c in index["chapters"]]
    for (_, start), chapter in zip(marks, index["chapters"], strict=True):
        assert start == pytest.approx(chapter["start"], abs=0.1)
