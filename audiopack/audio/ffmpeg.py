"""Finding and running the ffmpeg program (a system one when present, else the imageio-ffmpeg
wheel's, installed with the test and bench extras).

The product encodes and decodes in-process; this is the independent tool the tests and the
benchmark check its audio with (decoding, probing, the bare toolchain's MP3)."""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
from collections.abc import Sequence

from audiopack.errors import ToolError
from audiopack.model import SAMPLE_RATE

log = logging.getLogger(__name__)


def _has_encoders(exe: str) -> bool:
    """True when ``exe`` runs and has the MP3 and AAC encoders packs need."""
    try:
        result = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True,
                                timeout=30, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return False
    listing = result.stdout.decode("utf-8", "replace")
    return result.returncode == 0 and "libmp3lame" in listing and " aac " in listing


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """The ffmpeg to run, found once: a system one on PATH when it has the MP3 and AAC
    encoders, else the imageio-ffmpeg wheel's; a clear error when there is none."""
    system = shutil.which("ffmpeg")
    if system and _has_encoders(system):
        return system
    try:
        import imageio_ffmpeg

        bundled = str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as e:
        raise ToolError(
            "ffmpeg not found: pip install imageio-ffmpeg (or install ffmpeg on PATH)"
        ) from e
    if system:
        log.info("%s lacks libmp3lame or aac; using %s", system, bundled)
    return bundled


def run_ffmpeg(args: Sequence[str], stdin: bytes | None = None) -> bytes:
    """Run ffmpeg with ``args`` (without the program name); return stdout; ToolError on failure."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *args]
    log.debug("ffmpeg %s", " ".join(args))
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, check=False)
    except OSError as e:
        raise ToolError(f"cannot run ffmpeg ({command[0]}): {e}") from e
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        last = detail[-1] if detail else f"exit code {result.returncode}"
        raise ToolError(f"ffmpeg failed: {last}")
    return result.stdout


def decode_to_pcm(data: bytes, input_format: str | None = None) -> bytes:
    """Decode encoded audio (e.g. MP3 bytes) to 24 kHz mono s16le PCM."""
    fmt = ["-f", input_format] if input_format else []
    return run_ffmpeg(
        [*fmt, "-i", "pipe:0", "-f", "s16le", "-ac", "1", "-ar", str(SAMPLE_RATE), "pipe:1"],
        stdin=data,
    )


def decode_file_to_pcm(path: str) -> bytes:
    """Decode an audio file to 24 kHz mono s16le PCM (used by tests and checks)."""
    return run_ffmpeg(["-i", path, "-f", "s16le", "-ac", "1", "-ar", str(SAMPLE_RATE), "pipe:1"])
