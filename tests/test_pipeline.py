"""The build pipeline end to end with a deterministic tone engine: audio, index, rebuilds."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import ToneEngine, build_pack, decode, read_index, rms, starts_after_silence
from probe import probe

from audiopack import pipeline
from audiopack.audio import pieces
from audiopack.config import BuildConfig
from audiopack.errors import PackError
from audiopack.model import SAMPLE_RATE
from audiopack.output.pack import PackFolder


@pytest.fixture
def built(short_script: Path, tmp_path: Path, tone_engine: ToneEngine) -> Path:
    """A pack of the short manuscript, built with the test's tone engine."""
    out = tmp_path / "pack"
    build_pack(short_script, out, tone_engine)
    return out


def _edit(script: Path, old: str, new: str) -> None:
    text = script.read_text("utf-8")
    assert old in text
    script.write_text(text.replace(old, new), "utf-8")


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()}


def _state_snapshot(folder: Path) -> dict[str, int]:
    """Every file and folder under the pack's bookkeeping, with its mtime (the lock aside)."""
    state = folder / ".audiopack"
    return {
        str(p.relative_to(state)): p.stat().st_mtime_ns
        for p in state.rglob("*")
        if p.name != "lock"
    }


def test_build_writes_a_true_pack(
    short_script: Path, tmp_path: Path, tone_engine: ToneEngine
) -> None:
    out = tmp_path / "pack"
    result = build_pack(short_script, out, tone_engine)
    index = read_index(out)
    assert result.chapters == len(index["chapters"]) == 4
    assert [c["kind"] for c in index["chapters"]] == ["opening", "section", "section", "closing"]
    assert result.synthesized > 0 and result.reused == 0
    assert (out / "playlist.m3u8").read_text("utf-8").count(".mp3") == 4
    book = out / index["book"]["file"]
    assert book.is_file()
    previous_end = 0.0
    starts_checked = 0
    for chapter in index["chapters"]:
        mp3 = out / chapter["file"]
        assert mp3.with_suffix(".lrc").is_file()
        samples = decode(mp3)
        duration = len(samples) / SAMPLE_RATE
        assert abs(duration - (chapter["end"] - chapter["start"])) < 0.05
        assert chapter["start"] == pytest.approx(previous_end, abs=0.002)
        previous_end = chapter["end"]
        for point in chapter["points"]:
            for sentence in point["sentences"]:
                assert starts_after_silence(samples, sentence["start"]), sentence
                end = int(sentence["end"] * SAMPLE_RATE)
                assert rms(samples[end + 2400 : end + 4800]) < 200  # silence after speech
                starts_checked += 1
    assert starts_checked >= 12
    assert index["duration"] == pytest.approx(previous_end)
    # The book lasts as long as the chapters together.
    assert len(decode(book)) / SAMPLE_RATE == pytest.approx(index["duration"], abs=0.1)


def test_noop_rebuild_writes_nothing(
    short_script: Path, built: Path, tone_engine: ToneEngine
) -> None:
    before = _snapshot(built)
    state_before = _state_snapshot(built)
    calls = len(tone_engine.requests)
    result = build_pack(short_script, built, tone_engine)
    assert _state_snapshot(built) == state_before
    assert result.synthesized == 0
    assert result.reused > 0
    assert result.changed == ()
    assert len(tone_engine.requests) == calls
    assert _snapshot(built) == before


def test_one_point_edit_touches_one_chapter(
    short_script: Path, built: Path, tone_engine: ToneEngine
) -> None:
    before = _snapshot(built)
    _edit(short_script, "不能学用脱节。", "绝不能学用脱节。")
    result = build_pack(short_script, built, tone_engine)
    assert result.synthesized == 1
    after = _snapshot(built)
    changed_mp3 = [n for n in after if n.endswith(".mp3") and after[n] != before.get(n)]
    assert changed_mp3 == ["02-提高思想认识.mp3"]
    index = read_index(built)
    texts = [p["text"] for c in index["chapters"] for p in c["points"]]
    assert any("绝不能学用脱节" in t for t in texts)


def test_interrupted_build_keeps_previous_pack(
    short_script: Path, built: Path, tone_engine: ToneEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(built)
    _edit(short_script, "学习", "研学")
    real = pieces.build_piece
    count = {"n": 0}

    def flaky(*args: object) -> None:
        count["n"] += 1
        if count["n"] == 3:
            raise KeyboardInterrupt
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pieces, "build_piece", flaky)
    with pytest.raises(KeyboardInterrupt):
        build_pack(short_script, built, tone_engine)
    assert _snapshot(built) == before
    monkeypatch.setattr(pieces, "build_piece", real)
    synthesized_before = len(tone_engine.requests)
    result = build_pack(short_script, built, tone_engine)
    # Everything was synthesised before the interruption: the rerun only encodes.
    assert result.synthesized == 0
    assert len(tone_engine.requests) == synthesized_before
    assert "研学" in (built / "index.json").read_text("utf-8")


def test_removed_chapter_leaves_no_stale_files(
    short_script: Path, built: Path, tone_engine: ToneEngine
) -> None:
    (built / "notes.txt").write_text("mine", "utf-8")
    text = short_script.read_text("utf-8")
    short_script.write_text(text.split("二、改进学习方法")[0], "utf-8")
    build_pack(short_script, built, tone_engine)
    names = sorted(p.name for p in built.iterdir() if p.is_file())
    assert not any("改进学习方法" in n for n in names)
    assert "notes.txt" in names  # files audiopack did not make are never touched


def test_second_build_refuses_while_locked(
    short_script: Path, tmp_path: Path, tone_engine: ToneEngine
) -> None:
    out = tmp_path / "pack"
    with PackFolder(out).locked(), pytest.raises(PackError, match="another audiopack build"):
        build_pack(short_script, out, tone_engine)


def test_lock_held_by_another_process_refuses_and_dies_with_it(tmp_path: Path) -> None:
    out = tmp_path / "pack"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path\n"
         "from audiopack.output.pack import PackFolder\n"
         "with PackFolder(Path(sys.argv[1])).locked():\n"
         "    print('held', flush=True); time.sleep(60)", str(out)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(PackError, match="another audiopack build"), PackFolder(out).locked():
            pass
    finally:
        holder.kill()
        holder.wait()
    with PackFolder(out).locked():  # a killed build leaves no stale lock behind
        pass


@pytest.mark.parametrize("exists", [True, False])
def test_unwritable_pack_folder_says_whether_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exists: bool
) -> None:
    out = tmp_path / "pack"
    if exists:
        out.mkdir()

    def denied(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    # Monkeypatched: a read-only folder is writable for root, and CI runs as root.
    monkeypatch.setattr("audiopack.output.pack.os.open", denied)
    verb = "write to" if exists else "create"
    message = f"cannot {verb} the pack folder .*: Permission denied;"
    with pytest.raises(PackError, match=message), PackFolder(out).locked():
        pass


def test_corrupt_cache_entry_is_resynthesised(
    short_script: Path, built: Path, tone_engine: ToneEngine
) -> None:
    cache = built / ".audiopack" / "cache"
    blobs = sorted(cache.rglob("*.pcm"))
    blobs[0].write_bytes(blobs[0].read_bytes()[:100])
    for piece in cache.rglob("*.mp3"):  # force the pieces to be rebuilt from segments
        piece.unlink()
    result = build_pack(short_script, built, tone_engine)
    assert result.synthesized == 1


def test_dry_run_changes_nothing(short_script: Path, built: Path, tone_engine: ToneEngine) -> None:
    before = _snapshot(built)
    _edit(short_script, "方法得当", "方法正确")
    config = BuildConfig(manuscript=short_script, output_dir=built, engine="espeak")
    report = pipeline.plan_build(config, engine=tone_engine)
    assert isinstance(report, pipeline.DryRunReport)
    assert len(report.to_synthesize) == 1 and "方法正确" in report.to_synthesize[0]
    assert report.changed_files == ("03-改进学习方法.mp3", "关于学习的几点体会.m4b")
    assert _snapshot(built) == before


def test_formats_mp3_only_has_no_book(
    short_script: Path, tmp_path: Path, tone_engine: ToneEngine
) -> None:
    out = tmp_path / "pack"
    build_pack(short_script, out, tone_engine, formats="mp3")
    index = read_index(out)
    assert index["book"] is None
    assert not list(out.glob("*.m4b"))
    assert os.path.exists(out / index["chapters"][0]["file"])


def test_formats_m4b_only_has_no_chapter_files(
    short_script: Path, tmp_path: Path, tone_engine: ToneEngine
) -> None:
    from audiopack.output.book import read_m4b_chapters

    out = tmp_path / "pack"
    build_pack(short_script, out, tone_engine, formats="m4b")
    index = read_index(out)
    assert all(c["file"] is None for c in index["chapters"])
    assert not list(out.glob("*.mp3")) and not list(out.glob("*.lrc"))
    marks = read_m4b_chapters(out / index["book"]["file"])
    assert [m[0] for m in marks] == [c["title"] for c in index["chapters"]]
    for (_, start), chapter in zip(marks, index["chapters"], strict=True):
        assert start == pytest.approx(chapter["start"], abs=0.1)
    assert "book.srt" in os.listdir(out)


def test_lrc_encoding_cover_and_shared_cache(
    short_script: Path, tmp_path: Path, tone_engine: ToneEngine
) -> None:
    from mutagen.id3 import ID3
    from PIL import Image

    cover = tmp_path / "cover.png"
    Image.new("RGB", (300, 200), (10, 120, 200)).save(cover)
    shared = tmp_path / "shared-cache"
    first = tmp_path / "a"
    build_pack(
        short_script, first, tone_engine, lrc_encoding="gb18030", cover=cover, cache_dir=shared
    )
    lrc = next(first.glob("02-*.lrc")).read_bytes()
    assert "学习是干部成长的阶梯".encode("gb18030") in lrc
    apic = ID3(next(first.glob("02-*.mp3"))).getall("APIC")[0]
    assert apic.mime == "image/jpeg"
    assert Image.open(first / "cover.jpg").size[0] >= 200
    assert not (first / ".audiopack" / "cache").exists()  # the shared cache was used
    calls = len(tone_engine.requests)
    second = build_pack(short_script, tmp_path / "b", tone_engine, cache_dir=shared)
    assert second.synthesized == 0 and len(tone_engine.requests) == calls


def test_long_chapters_keep_their_marks_in_every_chapter_list(
    tmp_path: Path, tone_engine: ToneEngine
) -> None:
    """Players read the QuickTime chapter track (libavformat shows it); mutagen reads 'chpl'."""
    paragraph = "我们要坚持以人民为中心的发展思想，不断增强人民群众的获得感幸福感安全感。" * 5
    sections = "".join(f"{n}、第{n}部分的标题\n" + (paragraph + "\n") * 4 for n in "一二三")
    script = tmp_path / "long.txt"
    script.write_text("长章节测试\n" + sections, "utf-8")
    out = tmp_path / "pack"
    build_pack(script, out, tone_engine, formats="m4b")
    index = read_index(out)
    assert min(c["end"] - c["start"] for c in index["chapters"]) > 90
    found = probe(out / index["book"]["file"])
    # A damaged QuickTime chapter track shows as "Referenced QT chapter track not found" (and
    # libavformat falls back to the Nero list) or as a wrong first chapter.
    assert found.complaints == ()
    chapters = found.chapters
    assert all(c.time_base != Fraction(1, 10_000_000) for c in chapters)  # not the Nero list
    assert [c.title for c in chapters] == [c["title"] for c in index["chapters"]]
    for probed, chapter in zip(chapters, index["chapters"], strict=True):
        assert probed.start_s == pytest.approx(chapter["start"], abs=0.1)
        assert probed.end_s == pytest.approx(chapter["end"], abs=0.1)


def test_failed_request_stops_the_build_and_keeps_what_was_made(
    short_script: Path, tmp_path: Path, tone_engine: ToneEngine
) -> None:
    from collections.abc import Sequence

    from audiopack.errors import SynthesisError
    from audiopack.model import SegmentAudio

    class BrokenForOnePoint(ToneEngine):
        async def synthesize(self, sentences: Sequence[str]) -> SegmentAudio:
            if any("联系实际" in s for s in sentences):
                raise SynthesisError("service said no")
            return await super().synthesize(sentences)

    out = tmp_path / "pack"
    with pytest.raises(SynthesisError, match=r"chapter 2, point 3 \(二要坚持联系实际\)"):
        build_pack(short_script, out, BrokenForOnePoint())
    assert not (out / "index.json").exists()
    result = build_pack(short_script, out, tone_engine)
    total = result.synthesized + result.reused
    assert result.reused > 0 and result.synthesized < total  # the rerun continued


def test_synthesis_starts_while_the_rest_is_planned(
    short_script: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last text is planned only once the engine has had a request: a build that planned
    everything before synthesising would wait here in vain and fail."""
    import threading
    from collections.abc import Sequence

    from audiopack import planning
    from audiopack.model import SegmentAudio

    asked = threading.Event()

    class Recording(ToneEngine):
        async def synthesize(self, sentences: Sequence[str]) -> SegmentAudio:
            asked.set()
            return await super().synthesize(sentences)

    config = BuildConfig(manuscript=short_script, output_dir=tmp_path / "x")
    texts = [point.text for chapter in pipeline.load(config).chapters for point in chapter.points]
    plan_pieces = planning._plan_pieces
    waited: list[bool] = []

    def plan_pieces_late(kind: str, index: int | None, text: str, *rest: object) -> object:
        if text == texts[-1]:
            waited.append(asked.wait(timeout=20))
        return plan_pieces(kind, index, text, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(planning, "_plan_pieces", plan_pieces_late)
    result = build_pack(short_script, tmp_path / "pack", Recording())
    assert waited == [True]
    assert result.synthesized > 0 and result.reused == 0


def test_an_error_while_planning_stops_the_build_and_keeps_the_pack(
    short_script: Path, built: Path, monkeypatch: pytest.MonkeyPatch, tone_engine: ToneEngine
) -> None:
    from audiopack import planning
    from audiopack.errors import ManuscriptError

    _edit(short_script, "。", "，再添一句。")
    before = _snapshot(built)
    calls = []

    def failing(*args: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise ManuscriptError("cannot read this text")
        return plan_pieces(*args)

    plan_pieces = planning._plan_pieces
    monkeypatch.setattr(planning, "_plan_pieces", failing)
    with pytest.raises(ManuscriptError, match="cannot read this text"):
        build_pack(short_script, built, tone_engine)
    assert _snapshot(built) == before
