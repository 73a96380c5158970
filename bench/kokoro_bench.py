#!/usr/bin/env python3
"""The Kokoro part of the benchmark (issue 13), apart from bench/run.py because it is slow.

    python bench/kokoro_bench.py [--runs 1] [--script FILE] [--sizes 1,4] [--skip PART]

1. the bare Kokoro loop (bench/kokoro_bare.py): the requests a build of the manuscript sends
   (the same reading strings, grouped the same way), one after another through one engine and
   session, nothing else; against a cold ``audiopack build --engine kokoro`` (target: ≤ 1.1×
   the loop's wall time);
2. a one-point edit rebuild after it (target: ≤ 5% of the cold build's wall time);
3. memory: cold builds of an excerpt of the manuscript (its first quarter, or
   ``--memory-script``) ×1 and ×4, every copy distinct (target: peak RSS of the process tree
   flat, ≤ 1.2×, and ≤ 0.8 GB).

Measured as bench/run.py measures (subprocesses, wall, CPU, peak RSS of the tree). The results
replace the section between ``<!-- kokoro:begin -->`` and ``<!-- kokoro:end -->`` of
bench/RESULTS.md (bench/run.py keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from manuscripts import edited_text, fresh_script, scaled_text
from measure import (
    BENCH,
    DEFAULT_SCRIPT,
    MIB,
    Sample,
    base_env,
    build_command,
    cpu,
    fmt,
    fmt_mib,
    log,
    measure,
    measure_edit,
    peak,
    ratio,
    wall,
)

BEGIN, END = "<!-- kokoro:begin -->", "<!-- kokoro:end -->"
MEMORY_LIMIT = 0.8 * 1024 * MIB


@dataclass
class KokoroResults:
    script: Path
    sizes: list[int]
    bare: list[Sample] = field(default_factory=list)
    cold: list[Sample] = field(default_factory=list)
    edit: list[Sample] = field(default_factory=list)
    scaling: dict[int, list[Sample]] = field(default_factory=dict)
    load: list[str] = field(default_factory=list)


def requests_of(script: Path) -> list[list[str]]:
    """The requests a kokoro build of ``script`` sends: reading strings, grouped as planned."""
    from audiopack.config import BuildConfig
    from audiopack.pipeline import load, speech_options
    from audiopack.planning import Pauses, make_plan

    config = BuildConfig(manuscript=script, engine="kokoro")
    options = speech_options(config, "kokoro", "pinyin")
    plan = make_plan(load(config), {}, options, Pauses(0.4, 0.8, 1.0), (), 24000)
    return [list(segment.texts) for segment in plan.segments]


def excerpt(text: str, fraction: float = 0.25) -> str:
    """The first lines of ``text`` holding about ``fraction`` of its characters."""
    lines, size = [], 0
    for line in text.splitlines():
        lines.append(line)
        size += len(line)
        if size >= fraction * len(text):
            break
    return "\n".join(lines) + "\n"


def kokoro_command(script: Path, pack: Path) -> list[str]:
    return build_command(script, pack, engine="kokoro")


def bench_bare_cold_edit(results: KokoroResults, work: Path, runs: int) -> None:
    env = base_env()
    text = results.script.read_text("utf-8")
    for run in range(runs):
        folder = work / f"kokoro{run}"
        script = fresh_script(folder, results.script.name, text)
        requests = folder / "requests.json"
        requests.write_text(json.dumps(requests_of(script), ensure_ascii=False), "utf-8")
        log(f"kokoro run {run + 1}/{runs}: bare loop")
        bare = [sys.executable, str(BENCH / "kokoro_bare.py"), str(requests)]
        results.bare.append(measure(bare, env=env, log_path=folder / "bare"))
        log(f"kokoro run {run + 1}/{runs}: cold build")
        pack = folder / "pack"
        cold = measure(kokoro_command(script, pack), env=env, log_path=folder / "cold")
        results.cold.append(cold)
        log(f"kokoro run {run + 1}/{runs}: one-point edit rebuild")
        script.write_text(edited_text(text, run), encoding="utf-8")
        results.edit.append(measure_edit(kokoro_command(script, pack), env, folder / "edit"))
        shutil.rmtree(folder, ignore_errors=True)


def bench_memory(results: KokoroResults, work: Path, source: Path | None) -> None:
    env = base_env()
    part = source.read_text("utf-8") if source else excerpt(results.script.read_text("utf-8"))
    for size in results.sizes:
        folder = work / f"kokoro-scale{size}"
        script = fresh_script(folder, results.script.name, scaled_text(part, size))
        log(f"kokoro excerpt ×{size}")
        sample = measure(kokoro_command(script, folder / "pack"), env=env, log_path=folder / "b")
        results.scaling[size] = [sample]
        shutil.rmtree(folder, ignore_errors=True)


def _row(label: str, samples: Sequence[Sample], notes: str = "") -> str:
    if not samples:
        return f"| {label} | 0 | – | – | – | {notes or 'not run'} |"
    return (f"| {label} | {len(samples)} | {fmt(wall(samples))} | {fmt(cpu(samples))} | "
            f"{fmt_mib(peak(samples))} | {notes} |")  # fmt: skip


def _minutes(samples: Sequence[Sample]) -> str:
    if not samples:
        return ""
    return f"{float(samples[0].output.get('duration', 0.0)) / 60:.1f} audio min"


def render(r: KokoroResults, command: str) -> str:
    lines = [
        BEGIN,
        "## Kokoro (bench/kokoro_bench.py)",
        "",
        f"`{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, manuscript "
        f"`{r.script.name}`; load average {' → '.join(r.load)} (the machine is shared: wall "
        "times include waiting for the CPU). Medians; peak RSS is the process tree's.",
        "",
        "| measurement | runs | wall s | CPU s | peak RSS MiB | notes |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        _row("bare Kokoro loop (same requests, one session)", r.bare, _minutes(r.bare)),
        _row("audiopack build --engine kokoro, cold", r.cold, _minutes(r.cold)),
        _row("one-point edit rebuild", r.edit,
             f"re-synthesised segments: {r.edit[0].output.get('synthesized')}" if r.edit else ""),
    ]  # fmt: skip
    for size, samples in sorted(r.scaling.items()):
        lines.append(_row(f"excerpt ×{size}, cold", samples, _minutes(samples)))
    lines += ["", "| target | measured | result |", "| --- | --- | --- |"]
    for name, measured, passed in targets(r):
        verdict = "not measured" if passed is None else ("pass" if passed else "FAIL")
        lines.append(f"| {name} | {measured} | {verdict} |")
    return "\n".join([*lines, "", END])


def targets(r: KokoroResults) -> list[tuple[str, str, bool | None]]:
    rows: list[tuple[str, str, bool | None]] = []
    if r.bare and r.cold:
        cold_to_bare = ratio(wall(r.cold), wall(r.bare))
        rows.append(("cold build ≤ 1.1× the bare loop (wall)",
                     f"{fmt(cold_to_bare)}× (CPU {fmt(ratio(cpu(r.cold), cpu(r.bare)))}×)",
                     cold_to_bare <= 1.1))  # fmt: skip
    if r.cold and r.edit:
        share = ratio(wall(r.edit), wall(r.cold))
        rows.append(("one-point edit ≤ 5% of the cold build (wall)",
                     f"{fmt(100 * share, 1)}%", share <= 0.05))  # fmt: skip
    if len(r.scaling) >= 2:
        small, large = min(r.scaling), max(r.scaling)
        growth = ratio(peak(r.scaling[large]), peak(r.scaling[small]))
        rows.append((f"peak memory ×{large} ≤ 1.2× ×{small}", f"{fmt(growth)}×", growth <= 1.2))
    highest = max((peak(s) for s in [r.cold, *r.scaling.values()] if s), default=float("nan"))
    if highest == highest:
        rows.append(("peak memory ≤ 0.8 GB", f"{fmt_mib(highest)} MiB", highest <= MEMORY_LIMIT))
    return rows


def write_section(path: Path, section: str) -> None:
    old = path.read_text("utf-8") if path.exists() else ""
    if BEGIN in old and END in old:
        new = old[: old.index(BEGIN)] + section + old[old.index(END) + len(END) :]
    else:
        new = old.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(new, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs of bare loop/cold/edit")
    parser.add_argument("--script", type=Path, default=DEFAULT_SCRIPT)
    parser.add_argument("--sizes", default="1,4", help="copies of the excerpt for memory")
    parser.add_argument(
        "--memory-script", type=Path, default=None, help="excerpt for memory (default: 1/4)"
    )
    parser.add_argument("--skip", action="append", default=[], choices=["builds", "memory"])
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--work-dir", type=Path, default=BENCH / "work" / "kokoro")
    args = parser.parse_args(argv)
    sizes = sorted({int(n) for n in args.sizes.split(",") if n.strip()})
    results = KokoroResults(args.script.resolve(), sizes)
    results.load.append(f"{os.getloadavg()[0]:.1f}")
    work = args.work_dir.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        if "builds" not in args.skip:
            bench_bare_cold_edit(results, work, args.runs)
        if "memory" not in args.skip:
            bench_memory(results, work, args.memory_script)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results.load.append(f"{os.getloadavg()[0]:.1f}")
    command = " ".join(["python bench/kokoro_bench.py", *(argv or sys.argv[1:])])
    section = render(results, command)
    write_section(args.out.resolve(), section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
