"""Measuring a command as the benchmark does: wall and CPU time, peak RSS of the process
tree, and the medians and ratios of the results."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent


BENCH = ROOT / "bench"


DEFAULT_SCRIPT = ROOT / "script" / "从严治党专题会议讲话.txt"


POLL_S = 0.02


MIB = 1024 * 1024


def log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


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


def _window(spans: Sequence[tuple[float, float]]) -> float:
    """From the first request's arrival to the last one's end (the synthesis phase)."""
    return max(b for _, b in spans) - min(a for a, _ in spans) if spans else 0.0


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
    from audiopack.audio.ffmpeg import ffmpeg_exe

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


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def fmt(value: float, digits: int = 2) -> str:
    return "–" if value != value else f"{value:.{digits}f}"  # NaN -> dash


def fmt_mib(value: float) -> str:
    return "–" if not value or value != value else f"{value / MIB:.0f}"


def measure_edit(command: Sequence[str], env: dict[str, str], log_path: Path) -> Sample:
    """The rebuild after a one-point edit, noting when it re-synthesised more than the point."""
    edit = measure(command, env=env, log_path=log_path)
    if edit.output.get("synthesized") != 1:
        log(f"note: the edit re-synthesised {edit.output.get('synthesized')} segments")
    return edit
