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
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DEFAULT_SCRIPT = ROOT / "script" / "从严治党专题会议讲话.txt"
POLL_S = 0.02
MIB = 1024 * 1024

# Row labels of the results table (the smoke test looks for them).
ROW_BARE = "bare toolchain (eSpeak NG → WAV → ffmpeg MP3)"
ROW_COLD = "audiopack cold build"
ROW_NOOP = "no-op rebuild"
ROW_EDIT = "one-point edit rebuild"
ROW_SCALE = "scaling ×{n}"
ROW_EDGE_J1 = "edge build --jobs 1"
ROW_EDGE_J4 = "edge build --jobs 4"
ROW_EDGE_SEQ = "edge-tts sequential loop"

# Words inserted by the one-point edits, a different one per run.
EDIT_WORDS = ("同时", "并且", "而且", "此外", "另外", "总之", "当然", "确实", "其实", "毕竟")

_CN_DIGITS = "零一二三四五六七八九"
_SECTION_RE = re.compile(r"^[一二三四五六七八九十]+、")
_STOPS = "。！？；!?;"


def log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------------------------
# Measuring one subprocess


@dataclass
class Sample:
    """One measured subprocess."""

    wall_s: float
    user_s: float
    sys_s: float
    peak_tree_rss: int  # bytes: max over time of the RSS summed over the process tree
    max_rss: int  # bytes: the largest single process (ru_maxrss of the child and descendants)
    output: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    root_exe = ""
    with contextlib.suppress(psutil.Error):
        root_exe = process.exe()
    for member in members:
        with contextlib.suppress(psutil.Error):  # gone, zombie or not ours any more
            # A child caught between fork and exec still shares its parent's memory (vfork):
            # audiopack starts no Python children, so such a snapshot is not counted twice.
            if member is not process and root_exe and member.exe() == root_exe:
                continue
            total += member.memory_info().rss
    return total


def measure(
    command: Sequence[str], *, env: dict[str, str] | None = None, log_path: Path | None = None
) -> Sample:
    """Run ``command``, polling its process tree; JSON stdout (if any) goes to ``output``."""
    out_path = (log_path or BENCH / "work" / "last").with_suffix(".out")
    err_path = out_path.with_suffix(".err")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        child = subprocess.Popen(list(command), stdout=out, stderr=err, env=env, cwd=ROOT)
        try:
            process = psutil.Process(child.pid)
        except psutil.Error:
            process = None
        peak = 0
        try:
            while True:
                pid, status, usage = os.wait4(child.pid, os.WNOHANG)
                if pid:
                    break
                if process is not None:
                    peak = max(peak, _tree_rss(process))
                time.sleep(POLL_S)
        except BaseException:  # Ctrl-C or an error here: do not leave the build running
            child.kill()
            child.wait()
            raise
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        detail = err_path.read_text("utf-8", "replace").strip()[-2000:]
        raise RuntimeError(f"{' '.join(command)} failed ({child.returncode}):\n{detail}")
    text = out_path.read_text("utf-8").strip()
    output: dict[str, Any] = {}
    if text:
        output = json.loads(text.splitlines()[-1])
    return Sample(wall, usage.ru_utime, usage.ru_stime, peak, usage.ru_maxrss * 1024, output)


def build_command(
    script: Path, pack: Path, engine: str = "espeak", jobs: int | None = None
) -> list[str]:
    command = [sys.executable, "-m", "audiopack", "build", str(script), "-o", str(pack),
               "--engine", engine, "-q", "--json"]  # fmt: skip
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    return command


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("AUDIOPACK_EDGE_URL", "AUDIOPACK_EDGE_VOICES_URL"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


# --------------------------------------------------------------------------------------------
# Inputs


def chinese_number(n: int) -> str:
    """1 … 99 in Chinese numerals (一, 十, 十六, 二十三)."""
    if not 1 <= n <= 99:
        raise ValueError(n)
    tens, ones = divmod(n, 10)
    text = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGITS[tens] + "十")
    return text + (_CN_DIGITS[ones] if ones else "")


def _is_title_line(line: str) -> bool:
    from audiopack.structure import is_heading_line

    return (
        len(line) <= 40
        and not any(ch in line for ch in _STOPS + "：:")
        and not is_heading_line(line)
    )


def scaled_text(text: str, copies: int) -> str:
    """``text`` ``copies`` times, every sentence of copy k marked "（第k遍）" so none repeats.

    A title line (short, no sentence stop, first) is kept once; heading lines get "（第k遍）"
    when they stay headings with it, salutation lines ("同志们：") are kept as they are.
    """
    from audiopack.structure import is_heading_line, is_salutation_line

    lines = [line.strip() for line in text.splitlines() if line.strip()]
    title: list[str] = []
    if lines and _is_title_line(lines[0]):
        title, lines = [lines[0]], lines[1:]
    out = list(title)
    for k in range(1, copies + 1):
        mark = chinese_number(k)
        for line in lines:
            if is_heading_line(line):
                marked = f"{line}（第{mark}遍）"
                out.append(marked if is_heading_line(marked) else line)
            elif is_salutation_line(line):
                out.append(line)
            else:
                # Every sentence is marked: requests hold a few sentences each, so marking
                # only the paragraph's end would let the cache reuse the rest of a copy.
                marked = re.sub(r"([。！？；!?;])", rf"（第{mark}遍）\1", line)
                out.append(marked if marked != line else f"{line}第{mark}遍。")
    return "\n".join(out) + "\n"


def edit_line_index(lines: Sequence[str]) -> int:
    """The paragraph the one-point edit changes: the second paragraph of the third section
    (or of the last section when there are fewer), else a paragraph in the middle."""
    headings = [i for i, line in enumerate(lines) if _SECTION_RE.match(line.strip())]
    if headings:
        start = headings[min(2, len(headings) - 1)]
        body = [i for i in range(start + 1, len(lines))
                if lines[i].strip() and not _SECTION_RE.match(lines[i].strip())
                and any(ch in lines[i] for ch in "。！？")]  # fmt: skip
        if body:
            return body[min(1, len(body) - 1)]
    prose = [i for i, line in enumerate(lines) if "。" in line]
    if not prose:
        raise ValueError("the manuscript has no sentence ending in 。 to edit")
    return prose[len(prose) // 2]


def edited_text(text: str, run: int) -> str:
    """``text`` with one sentence of one point changed: its first "。" becomes "，<word>。"."""
    lines = text.splitlines()
    index = edit_line_index(lines)
    word = EDIT_WORDS[run % len(EDIT_WORDS)] + (
        "" if run < len(EDIT_WORDS) else chinese_number(run // len(EDIT_WORDS))
    )
    lines[index] = lines[index].replace("。", f"，{word}。", 1)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# The measurements


@dataclass
class Results:
    runs: int
    scaling_runs: int
    script: Path
    sizes: list[int]
    latency_s: float
    edge_script: Path
    bare: list[Sample] = field(default_factory=list)
    cold: list[Sample] = field(default_factory=list)
    noop: list[Sample] = field(default_factory=list)
    edit: list[Sample] = field(default_factory=list)
    scaling: dict[int, list[Sample]] = field(default_factory=dict)
    edge_j1: list[Sample] = field(default_factory=list)
    edge_j4: list[Sample] = field(default_factory=list)
    edge_seq: list[Sample] = field(default_factory=list)
    edge_requests: int = 0
    machine: dict[str, str] = field(default_factory=dict)
    elapsed_s: float = 0.0
    command: str = "python bench/run.py"


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
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        script = folder / results.script.name
        script.write_text(text, encoding="utf-8")
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
        edit = measure(build_command(script, pack), env=env, log_path=folder / "edit")
        if edit.output.get("synthesized") != 1:
            log(f"note: the edit re-synthesised {edit.output.get('synthesized')} segments")
        results.edit.append(edit)
        shutil.rmtree(folder, ignore_errors=True)


def bench_scaling(results: Results, work: Path) -> None:
    env = base_env()
    text = results.script.read_text("utf-8")
    for size in results.sizes:
        samples: list[Sample] = []
        for run in range(results.scaling_runs):
            folder = work / f"scale{size}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            script = folder / results.script.name
            script.write_text(scaled_text(text, size), encoding="utf-8")
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


def _window(spans: Sequence[tuple[float, float]]) -> float:
    """From the first request's arrival to the last one's end (the synthesis phase)."""
    return max(b for _, b in spans) - min(a for a, _ in spans) if spans else 0.0


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


# --------------------------------------------------------------------------------------------
# Machine


def _run_text(command: Sequence[str]) -> str:
    try:
        result = subprocess.run(list(command), capture_output=True, text=True, check=False,
                                cwd=ROOT, timeout=30)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (result.stdout.strip().splitlines() or ["?"])[0]


def machine_info() -> dict[str, str]:
    import edge_tts

    from audiopack import __version__ as audiopack_version
    from audiopack.ffmpeg import ffmpeg_exe

    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    espeak = _run_text([sys.executable, "-c",
                        "from audiopack.engines.espeak import _Library;"
                        "print(_Library.get().version)"])  # fmt: skip
    load = os.getloadavg()
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": model,
        "cores": f"{psutil.cpu_count(logical=True)} logical, "
        f"{psutil.cpu_count(logical=False) or '?'} physical",
        "memory": f"{psutil.virtual_memory().total / 1024**3:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "ffmpeg": f"{_run_text([ffmpeg_exe(), '-version'])} ({ffmpeg_exe()})",
        "espeak-ng": espeak,
        "edge-tts": str(edge_tts.__version__),
        "audiopack": f"{audiopack_version} ({_run_text(['git', 'rev-parse', '--short', 'HEAD'])})",
        "load average at start": " ".join(f"{x:.2f}" for x in load),
    }


# --------------------------------------------------------------------------------------------
# Report


def median(samples: Sequence[Sample], get: Callable[[Sample], float]) -> float:
    return statistics.median(get(s) for s in samples) if samples else float("nan")


def wall(samples: Sequence[Sample]) -> float:
    return median(samples, lambda s: s.wall_s)


def cpu(samples: Sequence[Sample]) -> float:
    return median(samples, lambda s: s.cpu_s)


def peak(samples: Sequence[Sample]) -> float:
    return median(samples, lambda s: s.peak_tree_rss)


def audio_minutes(sample: Sample) -> float:
    return float(sample.output.get("duration", 0.0)) / 60


def per_minute(samples: Sequence[Sample]) -> float:
    return median(samples, lambda s: s.wall_s / max(audio_minutes(s), 1e-9))


def window(samples: Sequence[Sample]) -> float:
    return median(samples, lambda s: s.extra.get("window_s", float("nan")))


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _f(value: float, digits: int = 2) -> str:
    return "–" if value != value else f"{value:.{digits}f}"  # NaN -> dash


def _mib(value: float) -> str:
    return "–" if not value or value != value else f"{value / MIB:.0f}"


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    passed: bool | None  # None: not measured


def targets(r: Results) -> list[Target]:
    rows = [
        Target("cold build ≤ 1.0× bare toolchain (wall)",
               f"{_f(_ratio(wall(r.cold), wall(r.bare)))}× (CPU "
               f"{_f(_ratio(cpu(r.cold), cpu(r.bare)))}×)",
               _ratio(wall(r.cold), wall(r.bare)) <= 1.0),
        Target("no-op rebuild ≤ 0.5 s (wall)", f"{_f(wall(r.noop))} s", wall(r.noop) <= 0.5),
        Target("one-point edit ≤ 5% of the cold build's CPU time",
               f"{_f(100 * _ratio(cpu(r.edit), cpu(r.cold)), 1)}% "
               f"(wall {_f(100 * _ratio(wall(r.edit), wall(r.cold)), 1)}%)",
               _ratio(cpu(r.edit), cpu(r.cold)) <= 0.05),
    ]  # fmt: skip
    small, large = min(r.sizes), max(r.sizes)
    if large > small and r.scaling.get(small) and r.scaling.get(large):
        factor = large // small
        time_ratio = _ratio(per_minute(r.scaling[large]), per_minute(r.scaling[small]))
        memory_ratio = _ratio(peak(r.scaling[large]), peak(r.scaling[small]))
        limit = (factor + 0.5) / factor
        rows += [
            Target(f"×{large} time ≤ {factor + 0.5:g}× the ×{small} time "
                   f"(per audio minute ≤ {limit:.3f}×)",
                   f"{_f(time_ratio, 3)}× per audio minute "
                   f"({_f(_ratio(wall(r.scaling[large]), wall(r.scaling[small])), 1)}× total)",
                   time_ratio <= limit),
            Target(f"×{large} peak memory ≤ 1.2× the ×{small} peak (RSS, tree)",
                   f"{_f(memory_ratio)}×", memory_ratio <= 1.2),
        ]  # fmt: skip
    if r.edge_j4 and r.edge_seq:
        phase = _ratio(window(r.edge_seq), window(r.edge_j4))
        whole = _ratio(wall(r.edge_seq), wall(r.edge_j4))
        rows += [
            Target(
                "edge, 4 jobs ≥ 3.5× faster than sequential (synthesis phase)",
                f"{_f(phase)}×",
                phase >= 3.5,
            ),
            Target(
                "edge, 4 jobs ≥ 3.5× faster than sequential (whole build, strict reading)",
                f"{_f(whole)}×",
                whole >= 3.5,
            ),
        ]
    return rows


def _row(label: str, samples: Sequence[Sample], notes: str = "") -> str:
    runs = len(samples)
    if not runs:
        return f"| {label} | 0 | – | – | – | – | not run |"
    rss = _mib(peak(samples))
    maxrss = _mib(median(samples, lambda s: s.max_rss))
    return (
        f"| {label} | {runs} | {_f(wall(samples))} | {_f(cpu(samples))} | {rss} | "
        f"{maxrss} | {notes} |"
    )


def render_report(r: Results, plot_name: str) -> str:
    lines = ["# audiopack benchmark", "",
             f"Generated by `{r.command}` (issue #7). Medians over the runs shown; every "
               "build is a subprocess (`python -m audiopack build … -q --json`). **CPU** = "
               "user + system time of the "
               "process and every descendant it waited for (ffmpeg included); **peak RSS** = "
               "the highest sum of RSS over the process tree (polled every 20 ms); "
               "**max RSS** = the largest single process (`ru_maxrss`).", "",
             "## Machine", ""]  # fmt: skip
    lines += [f"- {key}: {value}" for key, value in r.machine.items()]
    lines += [f"- benchmark time: {r.elapsed_s / 60:.1f} min", ""]

    lines += ["## Measurements", "",
              "| measurement | runs | wall s | CPU s | peak RSS MiB | max RSS MiB | notes |",
              "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]  # fmt: skip
    bare_min = median(r.bare, audio_minutes) if r.bare else float("nan")
    cold_min = median(r.cold, audio_minutes) if r.cold else float("nan")
    lines.append(_row(ROW_BARE, r.bare, f"{_f(bare_min, 1)} audio min, one MP3"))
    lines.append(_row(ROW_COLD, r.cold, f"{_f(cold_min, 1)} audio min, MP3 chapters + M4B"))
    lines.append(_row(ROW_NOOP, r.noop, "same command again"))
    synthesized = sorted({int(s.output.get("synthesized", -1)) for s in r.edit})
    lines.append(
        _row(
            ROW_EDIT,
            r.edit,
            "one sentence of one point changed; re-synthesised "
            f"segments: {', '.join(map(str, synthesized))}",
        )
    )
    for size in r.sizes:
        samples = r.scaling.get(size, [])
        minutes = median(samples, audio_minutes) if samples else float("nan")
        lines.append(
            _row(
                ROW_SCALE.format(n=size),
                samples,
                f"{_f(minutes, 1)} audio min, {_f(per_minute(samples), 3)} s wall per audio min",
            )
        )
    requests = f"{r.edge_requests} requests, {r.latency_s:g} s latency each"
    lines.append(
        _row(ROW_EDGE_J1, r.edge_j1, f"{requests}; synthesis phase {_f(window(r.edge_j1))} s")
    )
    lines.append(
        _row(
            ROW_EDGE_J4,
            r.edge_j4,
            f"synthesis phase {_f(window(r.edge_j4))} s, max in flight "
            f"{_f(median(r.edge_j4, lambda s: s.extra.get('max_active', 0)), 0)}",
        )
    )
    lines.append(
        _row(
            ROW_EDGE_SEQ,
            r.edge_seq,
            "in-process `edge_tts.Communicate(text, voice).stream()` per request, "
            "same texts; CPU is the whole bench process (incl. the fake); no RSS",
        )
    )
    lines.append("")

    lines += ["## Ratios", "", "| ratio | wall | CPU |", "| --- | ---: | ---: |"]
    lines.append(
        f"| cold build / bare toolchain | {_f(_ratio(wall(r.cold), wall(r.bare)))} | "
        f"{_f(_ratio(cpu(r.cold), cpu(r.bare)))} |"
    )
    lines.append(
        f"| no-op rebuild / cold build | {_f(_ratio(wall(r.noop), wall(r.cold)), 3)} | "
        f"{_f(_ratio(cpu(r.noop), cpu(r.cold)), 3)} |"
    )
    lines.append(
        f"| one-point edit / cold build | {_f(_ratio(wall(r.edit), wall(r.cold)), 3)} "
        f"| {_f(_ratio(cpu(r.edit), cpu(r.cold)), 3)} |"
    )
    small = min(r.sizes)
    for size in r.sizes:
        if size == small or not r.scaling.get(size) or not r.scaling.get(small):
            continue
        big, base = r.scaling[size], r.scaling[small]
        lines.append(
            f"| scaling ×{size} / ×{small}, total | {_f(_ratio(wall(big), wall(base)))} "
            f"| {_f(_ratio(cpu(big), cpu(base)))} |"
        )
        cpu_per_minute = _ratio(
            cpu(big) / median(big, audio_minutes), cpu(base) / median(base, audio_minutes)
        )
        lines.append(
            f"| scaling ×{size} / ×{small}, per audio minute | "
            f"{_f(_ratio(per_minute(big), per_minute(base)), 3)} | "
            f"{_f(cpu_per_minute, 3)} |"
        )
        lines.append(
            f"| scaling ×{size} / ×{small}, peak RSS (tree) | "
            f"{_f(_ratio(peak(big), peak(base)))} | |"
        )
    if r.edge_j4:
        lines.append(
            f"| edge --jobs 1 / --jobs 4, whole build | "
            f"{_f(_ratio(wall(r.edge_j1), wall(r.edge_j4)))} | |"
        )
        lines.append(
            f"| edge --jobs 1 / --jobs 4, synthesis phase | "
            f"{_f(_ratio(window(r.edge_j1), window(r.edge_j4)))} | |"
        )
        lines.append(
            f"| edge sequential loop / --jobs 4 whole build | "
            f"{_f(_ratio(wall(r.edge_seq), wall(r.edge_j4)))} | |"
        )
        lines.append(
            f"| edge sequential loop / --jobs 4 synthesis phase | "
            f"{_f(_ratio(window(r.edge_seq), window(r.edge_j4)))} | |"
        )
    lines.append("")

    lines += ["## Targets (issue #7)", "", "| target | measured | result |", "| --- | --- | --- |"]
    for target in targets(r):
        verdict = "–" if target.passed is None else ("pass" if target.passed else "**fail**")
        lines.append(f"| {target.name} | {target.measured} | {verdict} |")
    lines.append("")

    scaling_note = f"Scaling sizes ran {r.scaling_runs} time(s) each" + (
        " (fewer than the other measurements, to keep the benchmark short)."
        if r.scaling_runs < r.runs
        else "."
    )
    lines += ["## Notes", "",
              "- Bare toolchain: one `espeak_Synth` call on the whole manuscript text as it "
              "stands (same libespeak-ng and ctypes wrapper as audiopack, voice cmn, 22.05 kHz), "
              "a WAV, then `ffmpeg -b:a 64k` to one MP3 (`bench/bare_toolchain.py`). audiopack "
              "does more: structure, pauses, loudness normalisation, MP3 *and* AAC, "
              "tags, chapters, index, page.",
              "- Cold build: empty pack folder and cache; the manuscript's own file name (the "
              "title), default formats (chapter MP3s and the M4B). A tiny unmeasured build runs "
              "first, so bytecode and jieba's dictionary index exist, as after any first run.",
              "- One-point edit: each run builds a fresh pack, then changes the first \"。\" of "
              "the second paragraph of the third section to \"，<word>。\" (a different word per "
              "run) and rebuilds.",
              "- Scaling: the manuscript repeated N times; every sentence of copy k is marked "
              "\"（第k遍）\" (headings too) so no request is a cache hit. "
              + scaling_note,
              "- Edge: `tests/fake_edge.py` on 127.0.0.1 with a fixed latency per request; "
              "an unmeasured `--jobs 4` build first fills the fake's audio cache and records "
              "the request texts the sequential loop then sends. *Synthesis phase* = from the "
              "first request's arrival at the fake to the last one's end; the whole build "
              "also decodes, lays out, normalises and encodes, which the plain loop does not.",
              "- The machine may be shared; absolute numbers are noisy, ratios less so. "
              "Load average at start is listed above.", "",
              f"![results]({plot_name})", ""]  # fmt: skip
    lines += [
        "## Raw samples",
        "",
        "| measurement | run | wall s | CPU s | peak RSS MiB | max RSS MiB | extra |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    groups: list[tuple[str, list[Sample]]] = [
        (ROW_BARE, r.bare), (ROW_COLD, r.cold), (ROW_NOOP, r.noop), (ROW_EDIT, r.edit),
        *[(ROW_SCALE.format(n=n), r.scaling.get(n, [])) for n in r.sizes],
        (ROW_EDGE_J1, r.edge_j1), (ROW_EDGE_J4, r.edge_j4), (ROW_EDGE_SEQ, r.edge_seq),
    ]  # fmt: skip
    for label, samples in groups:
        for index, s in enumerate(samples, 1):
            extra = {k: round(v, 3) for k, v in s.extra.items()}
            if "duration" in s.output:
                extra["audio_s"] = round(float(s.output["duration"]), 1)
            if "synthesized" in s.output:
                extra["synthesized"] = s.output["synthesized"]
            lines.append(
                f"| {label} | {index} | {s.wall_s:.3f} | {s.cpu_s:.3f} | "
                f"{_mib(s.peak_tree_rss)} | {_mib(s.max_rss)} | "
                f"{json.dumps(extra, ensure_ascii=False)} |"
            )
    return "\n".join(lines) + "\n"


def render_plot(r: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 5))
    fig.suptitle(f"audiopack benchmark — {r.machine.get('date', '')}")

    ax = axes[0]
    labels = ["bare\ntoolchain", "cold\nbuild", "no-op\nrebuild", "one-point\nedit"]
    groups = [r.bare, r.cold, r.noop, r.edit]
    x = range(len(labels))
    width = 0.38
    ax.bar([i - width / 2 for i in x], [wall(g) for g in groups], width, label="wall")
    ax.bar([i + width / 2 for i in x], [cpu(g) for g in groups], width, label="CPU")
    ax.set_xticks(list(x), labels)
    ax.set_ylabel("seconds (median)")
    ax.set_title(f"builds (median of {r.runs} run(s))")
    ax.legend()

    ax = axes[1]
    edge_labels = ["--jobs 1", "--jobs 4", "sequential\nedge-tts loop"]
    edge_groups = [r.edge_j1, r.edge_j4, r.edge_seq]
    x = range(len(edge_labels))
    ax.bar(
        [i - width / 2 for i in x], [wall(g) for g in edge_groups], width, label="whole run (wall)"
    )
    ax.bar(
        [i + width / 2 for i in x], [window(g) for g in edge_groups], width, label="synthesis phase"
    )
    ax.set_xticks(list(x), edge_labels)
    ax.set_ylabel("seconds (median)")
    ax.set_title(f"edge vs fake service ({r.edge_requests} requests, {r.latency_s:g} s latency)")
    ax.legend()

    ax = axes[2]
    sizes = [n for n in r.sizes if r.scaling.get(n)]
    ax.plot(sizes, [per_minute(r.scaling[n]) for n in sizes], "o-", color="tab:blue")
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [f"×{n}" for n in sizes])
    ax.set_xlabel("manuscript size")
    ax.set_ylabel("wall s per audio minute", color="tab:blue")
    ax.set_ylim(bottom=0)
    twin = ax.twinx()
    twin.plot(sizes, [peak(r.scaling[n]) / MIB for n in sizes], "s--", color="tab:red")
    twin.set_ylabel("peak RSS of the process tree, MiB", color="tab:red")
    twin.set_ylim(bottom=0)
    ax.set_title("scaling")

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# Main


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


def listening_section(path: Path) -> str:
    """The sections of the results file measured apart (and slowly), kept: bench/listen.py's
    and bench/kokoro_bench.py's."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    kept = ""
    for name in ("listen", "kokoro"):
        begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
        if begin in old and end in old:
            kept += "\n" + old[old.index(begin) : old.index(end) + len(end)] + "\n"
    return kept


if __name__ == "__main__":
    sys.exit(main())
