"""The Python API, used as the README shows: ``import audiopack`` and nothing deeper."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import audiopack


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, audiopack.BuildResult]:
    from conftest import SHORT_MANUSCRIPT

    folder = tmp_path_factory.mktemp("api")
    script = folder / "体会.txt"
    script.write_text(SHORT_MANUSCRIPT, encoding="utf-8")
    result = audiopack.build(script, folder / "pack", engine="espeak", formats="both")
    return script, result


def test_everything_exported_exists() -> None:
    for name in audiopack.__all__:
        assert hasattr(audiopack, name), name
    assert issubclass(audiopack.PackError, audiopack.AudiopackError)


@pytest.mark.slow
def test_build_then_open_pack_gives_times_files_and_audio(
    built: tuple[Path, audiopack.BuildResult],
) -> None:
    _script, result = built
    assert isinstance(result, audiopack.BuildResult)
    assert result.engine == "espeak" and result.synthesized > 0
    pack = audiopack.open_pack(result.pack)
    index = json.loads((result.pack / "index.json").read_text("utf-8"))
    assert pack.title == index["title"]
    assert len(pack.chapters) == result.chapters == len(index["chapters"])
    assert len(pack.points) == result.points
    assert pack.duration_s == pytest.approx(result.duration_s, abs=0.01)
    assert pack.book is not None and pack.book.is_file()
    for chapter in pack.chapters:
        assert chapter.file is not None and chapter.file.is_file()
        audio = chapter.audio()
        assert audio.channels == 1 and audio.sample_width == 2
        # The decoded chapter is as long as the index says (MP3 frames: within 30 ms).
        assert audio.duration_seconds == pytest.approx(chapter.duration_s, abs=0.03)
        assert audio.rms > 0
        starts = [s.start_s for p in chapter.points for s in p.sentences]
        assert starts == sorted(starts) and all(0 <= s < chapter.duration_s for s in starts)
    whole = pack.audio()
    assert whole.duration_seconds == pytest.approx(pack.duration_s, abs=0.1)


@pytest.mark.slow
def test_build_works_inside_a_running_event_loop(
    built: tuple[Path, audiopack.BuildResult],
) -> None:
    script, first = built

    async def from_a_coroutine() -> tuple[audiopack.BuildResult, audiopack.BuildResult]:
        blocking = audiopack.build(script, first.pack, engine="espeak")
        awaited = await audiopack.build_async(script, first.pack, engine="espeak")
        return blocking, awaited

    again, awaited = asyncio.run(from_a_coroutine())
    # Nothing changed since the first build: everything comes from the cache.
    assert again.synthesized == 0 and awaited.synthesized == 0
    assert again.reused == first.synthesized + first.reused


@pytest.mark.slow
def test_plan_reports_and_changes_nothing(
    built: tuple[Path, audiopack.BuildResult], tmp_path: Path
) -> None:
    script, _ = built
    edited = tmp_path / script.name
    edited.write_text(
        script.read_text("utf-8") + "\n我们要把学习成果转化为推动工作的实际成效。\n", "utf-8"
    )
    report = audiopack.plan(edited, tmp_path / "pack", engine="espeak")
    assert isinstance(report, audiopack.DryRunReport)
    assert report.to_synthesize and not (tmp_path / "pack").exists()
    assert asyncio.run(audiopack.plan_async(edited, tmp_path / "pack", engine="espeak")) == report


def test_open_pack_never_names_a_file_outside_the_pack(tmp_path: Path) -> None:
    index = {
        "title": "t", "duration": 2.0, "book": {"file": "../../etc/passwd"},
        "chapters": [
            {"kind": "section", "title": "a", "file": "/etc/passwd", "start": 0, "end": 1,
             "points": [{"title": "p", "text": "x", "start": "0", "end": 1, "sentences": [1]}]},
            {"kind": "section", "title": "b", "file": "02-b.mp3", "start": 1, "end": 2},
        ],
    }  # fmt: skip
    (tmp_path / "index.json").write_text(json.dumps(index), "utf-8")
    pack = audiopack.open_pack(tmp_path)
    assert pack.book is None and pack.chapters[0].file is None
    assert pack.chapters[1].file == tmp_path / "02-b.mp3"
    point = pack.chapters[0].points[0]
    assert (point.start_s, point.end_s, point.sentences) == (0.0, 1.0, ())


def test_outline_gives_the_structure(short_script: Path) -> None:
    outline = audiopack.outline(short_script)
    assert isinstance(outline, audiopack.Outline)
    assert outline.title and len(outline.chapters) >= 2
    assert all(chapter.points for chapter in outline.chapters)


def test_bad_input_raises_the_librarys_errors(short_script: Path, tmp_path: Path) -> None:
    with pytest.raises(audiopack.ConfigError, match="unknown option 'speed'"):
        audiopack.build(short_script, tmp_path / "pack", speed=2)
    with pytest.raises(audiopack.ConfigError, match="--rate"):
        audiopack.plan(short_script, tmp_path / "pack", rate="fast")
    with pytest.raises(audiopack.PackError, match=r"not a pack folder: .*build one"):
        audiopack.open_pack(tmp_path)
    (tmp_path / "index.json").write_text('{"title": 3}', "utf-8")
    with pytest.raises(audiopack.PackError, match="no chapter list"):
        audiopack.open_pack(tmp_path)
    with pytest.raises(audiopack.ManuscriptError):
        audiopack.outline(tmp_path / "missing.txt")
