"""The bare toolchain the benchmark compares audiopack with (run as a subprocess by run.py).

eSpeak NG's Mandarin voice (the same libespeak-ng from espeakng-loader that audiopack drives,
through audiopack's ctypes wrapper) reads the whole manuscript, as it stands, into one WAV;
then ffmpeg encodes that WAV to one 64 kbps MP3. No structure, no pauses, no normalisation,
no tags: the least work that turns the text into an MP3.

Usage: ``python bench/bare_toolchain.py MANUSCRIPT OUTDIR``; prints one JSON object
``{"duration": seconds, "sample_rate": Hz, "mp3_bytes": n}`` on stdout.
"""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: bare_toolchain.py MANUSCRIPT OUTDIR\n")
        return 2
    from audiopack.audio.ffmpeg import ffmpeg_exe
    from audiopack.engines.espeak import _Library
    from audiopack.text.read import read_text

    manuscript, outdir = Path(argv[0]), Path(argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    text = read_text(manuscript)
    library = _Library.get()
    library.set_prosody("+0%", "+0%", "+0Hz")
    pcm = library.speak(text)
    wav_path, mp3_path = outdir / "bare.wav", outdir / "bare.mp3"
    with wave.open(str(wav_path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(library.sample_rate)
        wav.writeframes(pcm)
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
         "-i", str(wav_path), "-c:a", "libmp3lame", "-b:a", "64k", str(mp3_path)],
        check=True,
    )  # fmt: skip
    duration = len(pcm) / 2 / library.sample_rate
    result = {"duration": duration, "sample_rate": library.sample_rate,
              "mp3_bytes": mp3_path.stat().st_size}  # fmt: skip
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
