#!/usr/bin/env python3
"""The audiopack benchmark (issue #7): measures, on the current machine, in one run.

    python bench/run.py [--runs N] [--quick] [--script FILE] [--out bench/RESULTS.md]

1. bare toolchain (eSpeak NG reads the whole text into one WAV, ffmpeg encodes one MP3) against
   an audiopack cold build (both formats, empty pack folder and cache);
2. a no-op rebuild and a one-point edit rebuild, as ratios to the cold build;
3. scaling: the manuscript ×1, ×4, ×16 (every copy made distinct so the cache cannot dedupe
   it): wall time per audio minute and peak memory;
4. the edge engine against the local fake service (tests/fake_edge.py) at a fixed latency per
   request: ``--jobs 1`` and ``--jobs 4`` builds and a plain sequential loop over edge-tts.

Every build is a subprocess (``python -m audiopack build …``) measured for wall time, CPU time
(user + system of the child and the descendants it reaped, from ``wait4``), peak RSS of the
whole process tree (polled with psutil every 20 ms, RSS summed over the tree) and the largest
single-process RSS (``ru_maxrss``). Results: a Markdown report (``--out``) and a PNG plot
(``--plot``, default ``results.png`` beside the report). Progress goes to stderr.

Needs psutil and matplotlib (the ``bench`` extra) besides audiopack's own dependencies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from manuscripts import edited_text, fresh_script, scaled_text
from measure import (
    BENCH,
    DEFAULT_SCRIPT,
    ROOT,
    Sample,
    _window,
    base_env,
    build_command,
    log,
    machine_info,
    measure,
    measure_edit,
)
from report import Results, listening_section, render_plot, render_report


def warm_up(work: Path) -> None:
    """Bytecode compiled as a wheel install leaves it, and one tiny build, so that jieba's
    dictionary index is there, as for any user after the first run."""
    import compileall

    import audiopack

    compileall.compile_dir(str(Path(audiopack.__file__).parent), quiet=1)
    tiny = work / "warmup" / "热身.txt"
    tiny.parent.mkdir(parents=True, exist_ok=True)
    tiny.write_text("热身。\n一、准备\n今天天气很好。\n", encoding="utf-8")
    measure(
        build_command(tiny, tiny.parent / "pack"),
        env=base_env(),
        log_path=work / "warmup" / "build",
    )
    shutil.rmtree(tiny.parent, ignore_errors=True)


def bench_builds(results: Results, work: Path) -> None:
    """Bare toolchain, cold build, no-op rebuild, one-point edit: ``runs`` rounds, interleaved."""
    env = base_env()
    text = results.script.read_text("utf-8")
    for run in range(results.runs):
        folder = work / f"run{run}"
        script = fresh_script(folder, results.script.name, text)
        pack = folder / "pack"

        log(f"run {run + 1}/{results.runs}: bare toolchain")
        bare = measure([sys.executable, str(BENCH / "bare_toolchain.py"), str(script),
                        str(folder / "bare")], env=env, log_path=folder / "bare")  # fmt: skip
        results.bare.append(bare)
        shutil.rmtree(folder / "bare", ignore_errors=True)

        log(f"run {run + 1}/{results.runs}: cold build")
        results.cold.append(measure(build_command(script, pack), env=env, log_path=folder / "cold"))
        log(f"run {run + 1}/{results.runs}: no-op rebuild")
        noop = measure(build_command(script, pack), env=env, log_path=folder / "noop")
        if noop.output.get("synthesized") or noop.output.get("changed"):
            log(f"warning: the no-op rebuild did work: {noop.output.get('changed')}")
        results.noop.append(noop)

        log(f"run {run + 1}/{results.runs}: one-point edit rebuild")
        script.write_text(edited_text(text, run), encoding="utf-8")
        results.edit.append(measure_edit(build_command(script, pack), env, folder / "edit"))
        shutil.rmtree(folder, ignore_errors=True)


def bench_scaling(results: Results, work: Path) -> None:
    env = base_env()
    text = results.script.read_text("utf-8")
    for size in results.sizes:
        samples: list[Sample] = []
        for run in range(results.scaling_runs):
            folder = work / f"scale{size}"
            script = fresh_script(folder, results.script.name, scaled_text(text, size))
            log(f"scaling ×{size}, run {run + 1}/{results.scaling_runs}")
            samples.append(
                measure(build_command(script, folder / "pack"), env=env, log_path=folder / "build")
            )
            shutil.rmtree(folder, ignore_errors=True)
        results.scaling[size] = samples


@contextlib.contextmanager
def timed_fake_edge(latency_s: float) -> Iterator[Any]:
    """tests/fake_edge.py's service, also noting when each speech request starts and ends."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from fake_edge import FakeEdge, FakeEdgeConfig
    finally:
        sys.path.remove(str(ROOT / "tests"))

    class TimedFakeEdge(FakeEdge):  # type: ignore[misc]
        def __init__(self, config: Any) -> None:
            super().__init__(config)
            self.spans: list[tuple[float, float]] = []

        async def _speech(self, request: Any) -> Any:
            begin = time.perf_counter()
            try:
                return await super()._speech(request)
            finally:
                self.spans.append((begin, time.perf_counter()))

    fake = TimedFakeEdge(FakeEdgeConfig(latency_s=latency_s))
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


async def _sequential_loop(texts: Sequence[str], voice: str) -> int:
    import edge_tts

    received = 0
    for text in texts:
        communicate = edge_tts.Communicate(text, voice, boundary="SentenceBoundary")
        async for chunk in communicate.stream():
            if chunk["type"] == "audio":
                received += len(chunk.get("data", b""))
    return received


def sequential_edge(fake: Any, texts: Sequence[str], voice: str) -> Sample:
    """A plain loop over edge-tts in this process, one request after the other."""
    from fake_edge import use_fake_edge

    from audiopack.engines.edge import apply_endpoint_override

    try:
        with use_fake_edge(fake):
            apply_endpoint_override()
            fake.spans.clear()
            before = os.times()
            start = time.perf_counter()
            received = asyncio.run(_sequential_loop(texts, voice))
            wall = time.perf_counter() - start
            after = os.times()
    finally:
        apply_endpoint_override()
    if not received:
        raise RuntimeError("the sequential edge-tts loop received no audio")
    return Sample(
        wall,
        after.user - before.user,
        after.system - before.system,
        0,
        0,
        {"requests": len(texts), "bytes": received},
        {"window_s": _window(fake.spans)},
    )


def bench_edge(results: Results, work: Path) -> None:
    from audiopack.engines.edge import DEFAULT_EDGE_VOICE

    with timed_fake_edge(results.latency_s) as fake:
        env = {**base_env(), **fake.env(), "NO_PROXY": "127.0.0.1,localhost",
               "no_proxy": "127.0.0.1,localhost"}  # fmt: skip
        folder = work / "edge"

        def edge_build(jobs: int, label: str) -> Sample:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            script = folder / results.edge_script.name
            shutil.copyfile(results.edge_script, script)
            fake.spans.clear()
            fake.reset_counters()
            sample = measure(
                build_command(script, folder / "pack", "edge", jobs),
                env=env,
                log_path=folder / label,
            )
            sample.extra["window_s"] = _window(fake.spans)
            sample.extra["requests"] = float(fake.request_count)
            sample.extra["max_active"] = float(fake.max_active)
            return sample

        log("edge: warm-up build (fills the fake's audio cache, records the requests)")
        edge_build(4, "warmup")
        texts = [r.text for r in fake.requests if r.text]
        results.edge_requests = len(texts)
        for run in range(results.runs):
            log(f"edge run {run + 1}/{results.runs}: --jobs 1")
            results.edge_j1.append(edge_build(1, "jobs1"))
            log(f"edge run {run + 1}/{results.runs}: --jobs 4")
            results.edge_j4.append(edge_build(4, "jobs4"))
            log(f"edge run {run + 1}/{results.runs}: sequential edge-tts loop")
            results.edge_seq.append(sequential_edge(fake, texts, DEFAULT_EDGE_VOICE))
        shutil.rmtree(folder, ignore_errors=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument(
        "--scaling-runs",
        type=int,
        default=1,
        help="runs per scaling size (default 1: ×16 is about 5 audio hours)",
    )
    parser.add_argument(
        "--sizes", default=None, help="scaling sizes, comma-separated (default 1,4,16; --quick 1,2)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="1 run, scaling ×1 and ×2 only (for the smoke test)"
    )
    parser.add_argument(
        "--script",
        type=Path,
        default=DEFAULT_SCRIPT,
        help="manuscript to benchmark (default: the sample)",
    )
    parser.add_argument(
        "--edge-script",
        type=Path,
        default=None,
        help="manuscript for the edge part (default: --script)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.5,
        help="the fake edge service's latency per request, seconds",
    )
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument(
        "--plot", type=Path, default=None, help="PNG plot (default: results.png beside --out)"
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=BENCH / "work",
        help="scratch folder, emptied before and removed after",
    )
    parser.add_argument("--keep-work", action="store_true", help="keep the scratch folder")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["builds", "scaling", "edge"],
        help="leave a part out",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.runs = 1
        args.scaling_runs = 1
    try:
        sizes = [int(n) for n in (args.sizes or ("1,2" if args.quick else "1,4,16")).split(",")]
    except ValueError:
        parser.error(f"invalid --sizes {args.sizes!r}: use e.g. 1,4,16")
    if not sizes or min(sizes) < 1 or max(sizes) > 99:
        parser.error("--sizes must be between 1 and 99")
    args.sizes = sorted(set(sizes))
    if args.runs < 1 or args.scaling_runs < 1:
        parser.error("--runs and --scaling-runs must be at least 1")
    if not args.script.is_file():
        parser.error(f"no manuscript {args.script}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    script = args.script.resolve()
    results = Results(
        runs=args.runs, scaling_runs=args.scaling_runs, script=script,
        sizes=args.sizes, latency_s=args.latency,
        edge_script=(args.edge_script or script).resolve(),
    )  # fmt: skip
    results.command = shlex.join(
        ["python", "bench/run.py", *(argv if argv is not None else sys.argv[1:])]
    )
    results.machine = machine_info()
    work = args.work_dir.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        log(f"work folder {work}")
        warm_up(work)
        if "builds" not in args.skip:
            bench_builds(results, work)
        if "scaling" not in args.skip:
            bench_scaling(results, work)
        if "edge" not in args.skip:
            bench_edge(results, work)
    finally:
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    results.elapsed_s = time.perf_counter() - started
    results.machine["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    out = args.out.resolve()
    plot = (args.plot or out.parent / "results.png").resolve()
    render_plot(results, plot)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = render_report(results, os.path.relpath(plot, out.parent)) + listening_section(out)
    out.write_text(report, encoding="utf-8")
    log(f"wrote {out} and {plot} in {results.elapsed_s / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
