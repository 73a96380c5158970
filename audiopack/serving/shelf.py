"""A shelf of packs: what ``audiopack serve`` shows for a folder holding several packs (e.g.
``output/``), and the summary of one pack that the shelf page and the podcast feed are made of.

A pack is a folder with an index.json; the shelf is the packs among a folder's immediate,
non-hidden subfolders, read afresh on every request so a pack built while serving appears on
reload. The shelf page shows where the listener left off in each pack: the player page keeps
that in the browser's localStorage under ``"audiopack:" + key`` (same origin, so the shelf page
can read it), as ``{"c": chapter index, "t": seconds into that chapter}``.
"""

from __future__ import annotations

import functools
import html
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audiopack.errors import PackError
from audiopack.output.packs import read_index
from audiopack.output.page import file_url, script_hash, script_json
from audiopack.output.texts import format_time

log = logging.getLogger(__name__)

__all__ = [
    "ChapterEntry",
    "PackEntry",
    "content_type",
    "find_packs",
    "pack_folder",
    "read_pack",
    "render_shelf_html",
]

COVER = "cover.jpg"
DEFAULT_AUTHOR = "audiopack"

#: Content-Type by extension for the files a pack holds (the system's MIME table is not used:
#: it differs between machines and knows no .m4b or .lrc).
CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4b": "audio/mp4",
    ".m4a": "audio/mp4",
    ".mp4": "audio/mp4",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".json": "application/json",
    ".lrc": "text/plain; charset=utf-8",
    ".srt": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8",
    ".m3u8": "audio/mpegurl; charset=utf-8",
    ".m3u": "audio/mpegurl; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}


def content_type(name: str) -> str:
    """The Content-Type of a pack file by its extension (case-insensitive)."""
    return CONTENT_TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


@dataclass(frozen=True)
class ChapterEntry:
    """A chapter as the shelf and the feed show it: times on the book, its own file if any."""

    title: str
    start_s: float
    end_s: float
    file: str | None


@dataclass(frozen=True)
class PackEntry:
    """One pack folder, summarised from its index.json and the files it really holds."""

    name: str  # the folder's name, its URL segment on a shelf
    folder: Path
    title: str
    key: str  # the player page's localStorage key, after "audiopack:"
    duration_s: float
    chapters: tuple[ChapterEntry, ...]
    cover: str | None  # the cover image's file name when the pack has one
    book: str | None  # the one-file book (MP3 preferred, else M4B) when the pack has one
    author: str
    modified: float  # index.json's mtime (seconds since the epoch)


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    number = float(value)
    return round(number, 3) if math.isfinite(number) and number > 0 else 0.0


def _file(folder: Path, name: Any) -> str | None:
    """``name`` when it is a plain file name of a regular file in ``folder``, else None."""
    if file_url(name) is None:
        return None
    return str(name) if (folder / str(name)).is_file() else None


def _book_file(folder: Path, book: Any) -> str | None:
    """The book MP3 (``--formats book-mp3``) when present, else the book named by ``file``."""
    if not isinstance(book, dict):
        return None
    for key in ("mp3", "file", "m4b"):
        found = _file(folder, book.get(key))
        if found:
            return found
    return None


@functools.lru_cache(maxsize=256)
def _artist(path: str, _mtime_ns: int) -> str | None:
    """The artist tag of an audio file (None when it has none or cannot be read)."""
    import mutagen

    try:
        audio = mutagen.File(path, easy=True)
    except Exception as e:  # mutagen raises many kinds on odd files; the feed only loses a tag
        log.debug("cannot read tags of %s: %s", path, e)
        return None
    values = (audio.tags or {}).get("artist") if audio is not None else None
    return str(values[0]) if values else None


def _author(folder: Path, files: list[str]) -> str:
    for name in files:
        path = folder / name
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            continue
        artist = _artist(str(path), mtime)
        if artist:
            return artist
    return DEFAULT_AUTHOR


def read_pack(folder: Path, name: str = "") -> PackEntry:
    """The summary of the pack in ``folder``; PackError when it is not a pack folder."""
    index = read_index(folder)
    title = index.get("title") if isinstance(index.get("title"), str) else ""
    source = index.get("source")
    key = source.get("sha256") if isinstance(source, dict) else None
    chapters: list[ChapterEntry] = []
    for n, chapter in enumerate(index["chapters"]):
        if not isinstance(chapter, dict):
            continue
        chapter_title = chapter.get("title")
        chapters.append(
            ChapterEntry(
                title=chapter_title if isinstance(chapter_title, str) else f"第{n + 1}章",
                start_s=_seconds(chapter.get("start")),
                end_s=_seconds(chapter.get("end")),
                file=_file(folder, chapter.get("file")),
            )
        )
    duration = _seconds(index.get("duration")) or (chapters[-1].end_s if chapters else 0.0)
    book = _book_file(folder, index.get("book"))
    audio_files = [f for f in [book, *(c.file for c in chapters)] if f]
    try:
        modified = (folder / "index.json").stat().st_mtime
    except OSError:
        modified = 0.0
    return PackEntry(
        name=name,
        folder=folder,
        title=title or folder.name,
        key=key if isinstance(key, str) and key else (title or folder.name),
        duration_s=duration,
        chapters=tuple(chapters),
        cover=_file(folder, COVER),
        book=book,
        author=_author(folder, audio_files[:2]),
        modified=modified,
    )


def is_pack_name(name: str) -> bool:
    """Whether a subfolder name can be a pack on the shelf (a plain, non-hidden name)."""
    return file_url(name) is not None


def pack_folder(root: Path, name: str) -> Path | None:
    """The resolved pack folder ``name`` inside the shelf ``root``, or None when it is no pack
    there (a hidden or odd name, no index.json, or a symlink to a folder elsewhere)."""
    if not is_pack_name(name):
        return None
    try:
        path = (root / name).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if path.parent != root.resolve() or not (path / "index.json").is_file():
        return None
    return path


def find_packs(folder: Path) -> tuple[PackEntry, ...]:
    """The packs among ``folder``'s immediate subfolders, by name; unreadable ones are skipped."""
    packs: list[PackEntry] = []
    try:
        names = sorted(os.listdir(folder))
    except OSError as e:
        log.warning("cannot list %s: %s", folder, e)
        return ()
    for name in names:
        path = pack_folder(folder, name)
        if path is None:
            continue
        try:
            packs.append(read_pack(path, name))
        except PackError as e:
            log.warning("%s", e)
    return tuple(packs)


_SHELF_CSS = """
:root { color-scheme: light dark; --bg: #fbfaf7; --fg: #1d1d1f; --muted: #6b6b70;
  --line: #e2dfd8; --accent: #b3261e; }
@media (prefers-color-scheme: dark) { :root { --bg: #151517; --fg: #ececef; --muted: #9a9aa2;
  --line: #2c2c31; --accent: #ff8a80; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 46rem; padding: 0 16px 32px; background: var(--bg);
  color: var(--fg); font: 17px/1.6 system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC",
  "Microsoft YaHei", sans-serif; overflow-wrap: anywhere; }
h1 { font-size: 1.4rem; margin: 20px 0 12px; }
ul.packs { list-style: none; margin: 0; padding: 0; }
li.pack { display: flex; gap: 14px; padding: 14px 0; border-top: 1px solid var(--line); }
li.pack img, li.pack .nocover { width: 96px; height: 96px; flex: none; border-radius: 6px;
  background: var(--line); object-fit: cover; }
li.pack h2 { font-size: 1.1rem; margin: 0 0 2px; line-height: 1.4; }
li.pack a { color: inherit; }
.meta, .where, details { color: var(--muted); font-size: 0.9rem; }
.where:empty { display: none; }
progress { width: 100%; height: 6px; accent-color: var(--accent); }
details ol { margin: 4px 0 0; padding-left: 1.4em; }
footer { margin-top: 16px; color: var(--muted); font-size: 0.9rem; }
"""

# Where the listener left off, from what the player page saved (see the module doc).
_SHELF_JS = """
(function () {
  "use strict";
  var packs = JSON.parse(document.getElementById("shelf-data").textContent);
  function clock(s) {
    s = Math.max(0, Math.floor(s));
    var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), r = s % 60;
    var mm = (h && m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
    return h ? h + ":" + mm : (m < 10 ? "0" : "") + mm;
  }
  packs.forEach(function (p, n) {
    var rec = null;
    try { rec = JSON.parse(localStorage.getItem("audiopack:" + p.key) || "null"); }
    catch (e) { rec = null; }
    if (!rec || typeof rec.c !== "number" || typeof rec.t !== "number" || !p.chapters[rec.c]) {
      return;
    }
    var ch = p.chapters[rec.c], at = ch[1] + Math.max(0, rec.t);
    var where = document.getElementById("where-" + n);
    where.textContent = "听到 " + ch[0] + " " + clock(rec.t);
    var bar = document.createElement("progress");
    bar.max = p.duration || 1;
    bar.value = Math.min(at, bar.max);
    where.appendChild(bar);
  });
})();
"""


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def render_shelf_html(packs: tuple[PackEntry, ...], *, feed: str | None = "feed.xml") -> str:
    """The shelf page: each pack's cover, title, duration, chapters and where the listener left
    off, linking to the pack's own player page (``<name>/``); ``feed`` links the podcast feed."""
    data = [
        {
            "key": p.key,
            "duration": p.duration_s,
            "chapters": [[c.title, c.start_s] for c in p.chapters],
        }
        for p in packs
    ]
    script = _SHELF_JS
    csp = (
        f"script-src '{script_hash(script)}'; object-src 'none'; base-uri 'none'; "
        "form-action 'none'; connect-src 'none'; frame-src 'none'; worker-src 'none'"
    )
    out = [
        '<!doctype html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{_esc(csp)}">\n',
        '<meta name="referrer" content="no-referrer">\n',
        '<link rel="icon" href="data:,">\n',  # no favicon request (it would be a 404)
        f"<title>学习包书架</title>\n<style>{_SHELF_CSS}</style>\n",
    ]
    if feed:
        out.append(
            f'<link rel="alternate" type="application/rss+xml" title="学习包" href="{feed}">\n'
        )
    out.append(f'</head>\n<body>\n<h1>学习包书架</h1>\n<p class="meta">共 {len(packs)} 个</p>\n')
    out.append('<ul class="packs">\n')
    for n, pack in enumerate(packs):
        href = (file_url(pack.name) or "") + "/"
        out.append('<li class="pack">')
        if pack.cover:
            out.append(f'<a href="{href}"><img src="{href}{file_url(pack.cover)}" alt=""></a>')
        else:
            out.append(f'<a href="{href}" class="nocover" aria-hidden="true"></a>')
        out.append(f'<div class="about">\n<h2><a href="{href}">{_esc(pack.title)}</a></h2>\n')
        out.append(
            f'<div class="meta">共 {len(pack.chapters)} 章 · 时长 {format_time(pack.duration_s)}'
            "</div>\n"
        )
        out.append(f'<div class="where" id="where-{n}"></div>\n')
        out.append("<details><summary>目录</summary><ol>")
        out.extend(f"<li>{_esc(c.title)}</li>" for c in pack.chapters)
        out.append("</ol></details>\n</div></li>\n")
    out.append("</ul>\n")
    if not packs:
        out.append("<p>这个文件夹里还没有学习包。</p>\n")
    if feed:
        out.append(f'<footer><a href="{feed}">播客订阅 (RSS)</a></footer>\n')
    out.append(f'<script type="application/json" id="shelf-data">{script_json(data)}</script>\n')
    out.append(f"<script>{script}</script>\n</body>\n</html>\n")
    return "".join(out)
