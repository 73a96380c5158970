"""The Kokoro benchmark's own logic (bench/kokoro_bench.py), without running Kokoro: the
requests it replays are those a build sends, and its report keeps the rest of RESULTS.md."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import SHORT_MANUSCRIPT

pytest.importorskip("psutil", reason="the benchmark needs psutil (the bench extra)")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import kokoro_bench
from measure import Sample


def test_requests_are_the_reading_strings_a_build_sends(tmp_path: Path) -> None:
    script = tmp_path / "体会.txt"
    script.write_text(SHORT_MANUSCRIPT, encoding="utf-8")
    requests = kokoro_bench.requests_of(script)
    assert requests and all(requests)
    first = requests[0][0]
    assert first.split()[:4] == ["tong2", "zhi4", "men5", "："]  # 同志们：
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in t) for r in requests for t in r)


def test_excerpt_is_the_first_quarter_by_lines() -> None:
    text = "".join(f"第{i}行，内容内容内容。\n" for i in range(40))
    part = kokoro_bench.excerpt(text)
    assert text.startswith(part) and 0.25 <= len(part) / len(text) < 0.3


def _sample(wall_s: float, peak_mib: float, **output: object) -> Sample:
    return Sample(wall_s, wall_s, 0.0, int(peak_mib * 1024 * 1024), 0, dict(output))


def test_report_verdicts_and_section_replacement(tmp_path: Path) -> None:
    r = kokoro_bench.KokoroResults(tmp_path / "s.txt", [1, 4], load=["1.0", "2.0"])
    r.bare, r.cold = [_sample(100, 500, duration=240.0)], [_sample(105, 600, duration=240.0)]
    r.edit = [_sample(6, 400, synthesized=1)]
    r.scaling = {1: [_sample(30, 600)], 4: [_sample(110, 650)]}
    verdicts = {name: passed for name, _measured, passed in kokoro_bench.targets(r)}
    assert verdicts == {
        "cold build ≤ 1.1× the bare loop (wall)": True,
        "one-point edit ≤ 5% of the cold build (wall)": False,  # 5.7%
        "peak memory ×4 ≤ 1.2× ×1": True,
        "peak memory ≤ 0.8 GB": True,
    }
    out = tmp_path / "RESULTS.md"
    old = "# head\n\n<!-- kokoro:begin -->\nOLD SECTION\n<!-- kokoro:end -->\n\ntail\n"
    out.write_text(old, "utf-8")
    kokoro_bench.write_section(out, kokoro_bench.render(r, "python bench/kokoro_bench.py"))
    text = out.read_text("utf-8")
    assert text.startswith("# head\n") and text.endswith("\n\ntail\n") and "OLD SECTION" not in text
    assert "| one-point edit ≤ 5% of the cold build (wall) | 5.7% | FAIL |" in text
    assert "| bare Kokoro loop (same requests, one session) | 1 | 100.00 |" in text
