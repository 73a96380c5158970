"""Safe, unique, short file names made from chapter titles, for every phone and desktop system."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from audiopack.model import Chapter

_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
             *(f"LPT{i}" for i in range(10))}  # fmt: skip
MAX_NAME_BYTES = 120  # well under the 255-byte limit, leaving room for suffixes and temp names
_KIND_NAMES = {"opening": "开场", "closing": "结束语", "section": "章节", "attachment": "附件"}


def safe_component(text: str, max_bytes: int = MAX_NAME_BYTES, fallback: str = "untitled") -> str:
    """One path component: no separators, reserved names, control or refused characters."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = _FORBIDDEN.sub("", text)
    text = re.sub(r"\s+", " ", text).strip(" .")
    if len(text.encode("utf-8")) > max_bytes:
        cut = text
        while len((cut + "…").encode("utf-8")) > max_bytes:
            cut = cut[:-1]
        text = cut.rstrip(" .") + "…"
    if not text or text.split(".")[0].upper() in _RESERVED or set(text) <= {"."}:
        text = f"{fallback}-{text}" if text and set(text) - {"."} else fallback
    return text


_MARKER = re.compile(
    r"^\s*(第[一二三四五六七八九十百零〇\d]+[部分章讲节篇]|[一二三四五六七八九十]+、"
    r"|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．])\s*"
)


def _short_title(chapter: Chapter) -> str:
    if chapter.kind not in ("section", "attachment"):
        return _KIND_NAMES.get(chapter.kind, chapter.kind)
    title = _MARKER.sub("", chapter.title)
    # Cut at the first comma so names stay short: "坚定共产主义信仰，培养…" -> "坚定共产主义信仰…".
    head = re.split(r"[，,；;：:。]", title, maxsplit=1)
    short = head[0] + ("…" if len(head) > 1 and head[1] else "")
    return short or chapter.title or _KIND_NAMES["section"]


def chapter_file_stems(chapters: Sequence[Chapter]) -> list[str]:
    """ "01-开场", "02-坚定共产主义信仰…", …: zero-padded order, safe short title, all unique."""
    width = max(2, len(str(len(chapters))))
    stems: list[str] = []
    seen: set[str] = set()
    for number, chapter in enumerate(chapters, 1):
        stem = f"{number:0{width}d}-" + safe_component(
            _short_title(chapter), max_bytes=80, fallback=_KIND_NAMES.get(chapter.kind, "章节")
        )
        while stem.casefold() in seen:
            stem += "_"
        seen.add(stem.casefold())
        stems.append(stem)
    return stems
