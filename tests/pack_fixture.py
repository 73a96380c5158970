"""A small fake pack folder for the page and serve tests: real short MP3s / M4B made by ffmpeg.

Three chapters of 4 s, 5 s and 3 s (each a sine tone of its own pitch), back to back on the
book's timeline (0, 4, 9; 12 s in all). Sentence times are per chapter file, as in a real pack.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audiopack.audio.ffmpeg import run_ffmpeg
from audiopack.output.page import write_index_html

HOSTILE_SCRIPT = "</script><script>window.__pwned=1;alert(1)</script>"
HOSTILE_IMG = '<img src=x onerror="window.__pwned=2;alert(2)">'
BOOK_FILE = "学习包.m4b"

#: (kind, title, file, duration, points: [(title, [(text, start, end), ...]), ...])
_CHAPTERS: list[tuple[str, str, str, float, list[tuple[str, list[tuple[str, float, float]]]]]] = [
    (
        "opening",
        "开场",
        "01-开场.mp3",
        4.0,
        [
            (
                "开场",
                [
                    ("同志们：", 0.0, 1.2),
                    ("今天我们召开会议。", 1.2, 2.5),
                    ("请大家认真学习。", 2.5, 4.0),
                ],
            )
        ],
    ),
    (
        "section",
        "一、坚定共产主义信仰",
        "02-坚定共产主义信仰….mp3",
        5.0,
        [
            ("第一点", [("理想信念是精神之钙。", 0.5, 1.5), ("必须坚定不移。", 1.5, 2.6)]),
            ("第二点", [("要学思践悟。", 2.8, 3.9), ("要知行合一。", 3.9, 5.0)]),
        ],
    ),
    (
        "closing",
        "结束语",
        "03-结束语 #1.mp3",
        3.0,
        [("结束", [("谢谢大家！", 0.0, 1.5), ("散会。", 1.5, 3.0)])],
    ),
]


def _tone(path: Path, seconds: float, freq: int, codec: list[str]) -> None:
    run_ffmpeg(
        [
            *("-y", "-f", "lavfi", "-i"),
            f"sine=frequency={freq}:duration={seconds}:sample_rate=24000",
            *("-ac", "1", *codec, str(path)),
        ]
    )


def make_index(
    *, hostile: bool = False, chapter_files: bool = True, book: bool = True
) -> dict[str, Any]:
    """The index.json data of the fixture pack (without writing anything)."""
    title = "从严治党专题会议讲话"
    chapters: list[dict[str, Any]] = []
    start = 0.0
    for n, (kind, ch_title, file, duration, points) in enumerate(_CHAPTERS):
        point_list = []
        for p, (p_title, sentences) in enumerate(points):
            sent: list[dict[str, Any]] = [
                {"text": t, "start": s, "end": e} for t, s, e in sentences
            ]
            if hostile and n == 1 and p == 0:
                sent[0]["text"] = f"理想{HOSTILE_SCRIPT}信念 &amp; {HOSTILE_IMG}\u2028是钙。"
                p_title = f"第一点{HOSTILE_IMG}"
            point_list.append(
                {
                    "title": p_title,
                    "text": "".join(s["text"] for s in sent),
                    "start": sent[0]["start"],
                    "end": sent[-1]["end"],
                    "sentences": sent,
                }
            )
        chapters.append(
            {
                "kind": kind,
                "title": ch_title + (HOSTILE_SCRIPT if hostile and n == 0 else ""),
                "file": file if chapter_files else None,
                "start": start,
                "end": start + duration,
                "points": point_list,
            }
        )
        start += duration
    if hostile:
        title = f"{title}{HOSTILE_SCRIPT}{HOSTILE_IMG}\u2029&amp;"
    return {
        "schema": 1,
        "title": title,
        "source": {"file": "讲话.txt", "sha256": "0" * 64},
        "engine": {"name": "fixture"},
        "duration": start,
        "book": {"file": BOOK_FILE} if book else None,
        "chapters": chapters,
    }


def make_pack(
    root: Path, *, hostile: bool = False, chapter_files: bool = True, book: bool = True
) -> Path:
    """Write a small pack folder at ``root`` (created) and return it."""
    root.mkdir(parents=True, exist_ok=True)
    index = make_index(hostile=hostile, chapter_files=chapter_files, book=book)
    freqs = [440, 660, 880]
    mp3 = ["-c:a", "libmp3lame", "-b:a", "64k"]
    for (_kind, _title, file, duration, points), freq in zip(_CHAPTERS, freqs, strict=True):
        if chapter_files:
            _tone(root / file, duration, freq, mp3)
        lrc = [f"[ti:{_title}]"]
        for _p_title, sentences in points:
            for text, s, _e in sentences:
                lrc.append(f"[{int(s // 60):02d}:{s % 60:05.2f}]{text}")
        (root / file).with_suffix(".lrc").write_text("\n".join(lrc) + "\n", encoding="utf-8")
    if book:
        total = sum(c[3] for c in _CHAPTERS)
        run_ffmpeg(
            [
                *(
                    "-y",
                    "-f",
                    "lavfi",
                    "-i",
                    f"sine=frequency=550:duration={total}:sample_rate=24000",
                ),
                *("-ac", "1", "-c:a", "aac", "-b:a", "48k", "-f", "mp4", str(root / BOOK_FILE)),
            ]
        )
    run_ffmpeg(
        [
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=64x64",
            "-frames:v",
            "1",
            str(root / "cover.jpg"),
        ]
    )
    (root / "index.json").write_text(
        json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (root / "index.md").write_text(f"# {index['title']}\n", encoding="utf-8")
    (root / "playlist.m3u8").write_text("#EXTM3U\n01-开场.mp3\n", encoding="utf-8")
    (root / "book.srt").write_text("1\n00:00:00,000 --> 00:00:01,200\n同志们：\n", "utf-8")
    (root / "book.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.200\n同志们：\n", "utf-8")
    cache = root / ".audiopack"
    cache.mkdir(exist_ok=True)
    (cache / "secret.txt").write_text("cache, not for the phone\n", encoding="utf-8")
    (root / ".hidden.mp3").write_bytes(b"hidden")
    write_index_html(root)
    return root
