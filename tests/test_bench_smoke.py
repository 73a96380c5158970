"""Smoke test of the benchmark (bench/run.py --quick on a tiny manuscript): it runs end to end
and writes its report and plot. No timing is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHORT_MANUSCRIPT

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("psutil", reason="the benchmark needs psutil (the bench extra)")
pytest.importorskip("matplotlib", reason="the benchmark needs matplotlib (the bench extra)")

ROWS = (
    "| bare toolchain (eSpeak NG → WAV → ffmpeg MP3) | 1 |",
    "| audiopack cold build | 1 |",
    "| no-op rebuild | 1 |",
    "| one-point edit rebuild | 1 |",
    "| scaling ×1 | 1 |",
    "| scaling ×2 | 1 |",
    "| edge build --jobs 1 | 1 |",
    "| edge build --jobs 4 | 1 |",
    "| edge-tts sequential loop | 1 |",
)
TARGETS = (
    "| cold build ≤ 1.0× bare toolchain",
    "| no-op rebuild ≤ 0.5 s",
    "| one-point edit ≤ 5% of the cold build's CPU time",
    "| ×2 time ≤ 2.5× the ×1 time",
    "| ×2 peak memory ≤ 1.2× the ×1 peak",
    "| edge, 4 jobs ≥ 3.5× faster than sequential (synthesis phase)",
)


def _assert_verdict_follows_the_figure(row: str) -> None:
    """The verdict is what the measured figure and the target's own threshold say (a quick
    run on a busy machine may fail a target, but never report a pass it did not earn)."""
    name, measured, verdict = (cell.strip() for cell in row.strip().strip("|").split("|"))
    bound = re.findall(r"([≤≥]) ([\d.]+)", name)[-1]
    figure = float(re.search(r"-?[\d.]+", measured).group(0))  # type: ignore[union-attr]
    limit = float(bound[1])
    passed = figure <= limit if bound[0] == "≤" else figure >= limit
    if figure == limit:  # the figure is rounded for the report: either verdict is honest
        assert verdict in ("pass", "**fail**"), row
    else:
        assert verdict == ("pass" if passed else "**fail**"), row


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_quick_benchmark_writes_report_and_plot(tmp_path: Path) -> None:
    script = tmp_path / "体会.txt"
    script.write_text(SHORT_MANUSCRIPT, encoding="utf-8")
    out = tmp_path / "report" / "RESULTS.md"
    work = tmp_path / "work"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--script", str(script),
         "--latency", "0.2", "--out", str(out), "--work-dir", str(work)],
        cwd=ROOT, capture_output=True, text=True, timeout=540, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]

    report = out.read_text(encoding="utf-8")
    for heading in ("## Machine", "## Measurements", "## Ratios", "## Targets (issue #7)"):
        assert heading in report
    lines = report.splitlines()
    for row in ROWS:
        matching = [line for line in lines if line.startswith(row)]
        assert matching, f"no row {row!r} in the report"
        cells = [cell.strip() for cell in matching[0].strip("|").split("|")]
        float(cells[2])  # the median wall time is a number
    for target in TARGETS:
        row = next((line for line in lines if line.startswith(target)), None)
        assert row is not None, f"no target {target!r}"
        _assert_verdict_follows_the_figure(row)
    one_point = next(line for line in lines if line.startswith("| one-point edit rebuild"))
    assert "re-synthesised segments: 1 |" in one_point

    plot = out.parent / "results.png"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![results](results.png)" in report
    assert not work.exists(), "the scratch folder is removed"
