"""index.html: one self-contained offline player page for a pack (issue #6).

The page holds its CSS and JS inline and links only to the pack's own audio files by relative
URL, so it works from a phone's file manager, from ``audiopack serve`` and without a network.
Every piece of manuscript text is escaped: HTML text via :func:`html.escape`, data for the
script as JSON inside ``<script type="application/json">`` with ``<``, ``>``, ``&``, U+2028 and
U+2029 written as ``\\uXXXX``. A Content-Security-Policy allows only the page's own script
(by hash), so even a slip in escaping could not run injected script.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from audiopack.atomic import atomic_write_text
from audiopack.errors import PackError

log = logging.getLogger(__name__)

__all__ = ["format_time", "render_index_html", "write_index_html"]

#: Playback speeds offered by the page.
RATES = (0.75, 1.0, 1.25, 1.5)

_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _asset(name: str) -> str:
    return resources.files("audiopack").joinpath("data", name).read_text(encoding="utf-8")


def format_time(seconds: float) -> str:
    """``mm:ss`` (``h:mm:ss`` from one hour on); negative or invalid values count as 0."""
    total = int(seconds) if math.isfinite(seconds) and seconds > 0 else 0
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def script_json(value: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">`` (no ``</script>`` etc.)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char, escaped in _JSON_ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _num(value: Any) -> float:
    """A finite, non-negative number of seconds; anything else is 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    number = float(value)
    return round(number, 3) if math.isfinite(number) and number > 0 else 0.0


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def file_url(name: Any) -> str | None:
    """The relative URL of a file in the pack folder, or None if ``name`` is not a plain name.

    Every character outside the unreserved set is percent-encoded (``/`` and ``:`` too), so a
    name can never become an absolute or scheme URL, a parent path or a fragment.
    """
    if not isinstance(name, str) or not name or name.startswith("."):
        return None
    if "/" in name or "\\" in name or "\x00" in name:
        return None
    return quote(name, safe="")


@dataclass(frozen=True)
class _Sentence:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class _Point:
    title: str
    start: float
    first_sentence: int
    sentences: tuple[_Sentence, ...]


@dataclass(frozen=True)
class _Chapter:
    title: str
    url: str | None
    start: float
    end: float
    points: tuple[_Point, ...]

    @property
    def sentences(self) -> list[_Sentence]:
        return [s for p in self.points for s in p.sentences]


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def _parse(index: Mapping[str, Any]) -> tuple[str, str | None, list[_Chapter]]:
    if not isinstance(index, Mapping) or not isinstance(index.get("chapters"), list):
        raise PackError("invalid index.json: no chapter list")
    book = index.get("book")
    book_url = file_url(book.get("file")) if isinstance(book, Mapping) else None
    chapters: list[_Chapter] = []
    for raw in index["chapters"]:
        if not isinstance(raw, Mapping):
            raise PackError("invalid index.json: a chapter is not an object")
        points: list[_Point] = []
        count = 0
        for raw_point in _list(raw.get("points")):
            if not isinstance(raw_point, Mapping):
                continue
            sentences = tuple(
                _Sentence(_str(s.get("text")), _num(s.get("start")), _num(s.get("end")))
                for s in _list(raw_point.get("sentences"))
                if isinstance(s, Mapping)
            )
            if not sentences and _str(raw_point.get("text")):
                # A point without sentence timings is one tappable unit.
                sentences = (
                    _Sentence(
                        _str(raw_point.get("text")),
                        _num(raw_point.get("start")),
                        _num(raw_point.get("end")),
                    ),
                )
            start = _num(raw_point.get("start")) if "start" in raw_point else 0.0
            if sentences and "start" not in raw_point:
                start = sentences[0].start
            points.append(_Point(_str(raw_point.get("title")), start, count, sentences))
            count += len(sentences)
        chapters.append(
            _Chapter(
                _str(raw.get("title")),
                file_url(raw.get("file")),
                _num(raw.get("start")),
                _num(raw.get("end")),
                tuple(points),
            )
        )
    return _str(index.get("title")), book_url, chapters


def _redundant_title(point: _Point) -> bool:
    """A title cut from the start of the point's own text ("今天，我们召开…") says nothing new."""
    title = point.title.strip()
    stem = title.removesuffix("…").removesuffix("...").rstrip()
    if not stem or stem == title:
        return False
    return "".join(s.text for s in point.sentences).lstrip().startswith(stem)


def script_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


#: How the page names the official-document elements of index.json's "document".
_DOCUMENT_LABELS = {
    "issuer_mark": "发文机关", "copy_number": "份号", "secrecy": "密级", "urgency": "紧急程度",
    "doc_number": "发文字号", "signer": "签发人", "addressee": "主送", "attachment_note": "附件",
    "signature": "署名", "date": "日期", "seal": "印章", "note": "附注", "imprint": "版记",
}  # fmt: skip


def _document_html(document: Any) -> str:
    """The document's elements under the title, as a small definition list."""
    if not isinstance(document, Mapping) or not document:
        return ""
    rows = [
        f"<dt>{_esc(label)}</dt><dd>{_esc(_str(document[key])).replace(chr(10), '<br>')}</dd>"
        for key, label in _DOCUMENT_LABELS.items()
        if document.get(key)
    ]
    return f'<dl class="document">{"".join(rows)}</dl>\n' if rows else ""


def render_index_html(index: Mapping[str, Any], *, cover: str | None = None) -> str:
    """The pack's player page for the data of its index.json (see the module doc).

    ``cover`` is the file name of the pack's cover image (e.g. ``"cover.jpg"``) when it has one;
    it is shown in the header and used as lock-screen artwork. Raises PackError when ``index``
    has no chapter list.
    """
    title, book_url, chapters = _parse(index)
    cover_url = file_url(cover) if cover else None
    source = index.get("source")
    key = _str(source.get("sha256")) if isinstance(source, Mapping) else ""
    total = _num(index.get("duration")) or (chapters[-1].end if chapters else 0.0)
    chapter_mode = any(ch.url for ch in chapters)

    data = {
        "title": title,
        "key": key or title,
        "book": book_url,
        "cover": cover_url,
        "chapters": [
            {
                "title": ch.title,
                "url": ch.url,
                "start": ch.start,
                "end": ch.end,
                "sentences": [[s.start, s.end] for s in ch.sentences],
            }
            for ch in chapters
        ],
    }
    script = "\n" + _asset("player.js")
    csp = "; ".join(
        (
            f"script-src '{script_hash(script)}'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "connect-src 'none'",
            "frame-src 'none'",
            "worker-src 'none'",
        )
    )

    def offset(ch: _Chapter) -> float:
        return 0.0 if chapter_mode and ch.url else ch.start

    out: list[str] = []
    add = out.append
    add('<!doctype html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n')
    add(
        '<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">\n'
    )
    add(f'<meta http-equiv="Content-Security-Policy" content="{_esc(csp)}">\n')
    add('<meta name="referrer" content="no-referrer">\n')
    add('<meta name="color-scheme" content="light dark">\n')
    add('<meta name="generator" content="audiopack">\n')
    add(f"<title>{_esc(title)}</title>\n<style>\n{_asset('player.css')}</style>\n</head>\n<body>\n")

    add('<header class="top">\n')
    if cover_url:
        add(f'<img class="cover" src="{cover_url}" alt="">\n')
    add(f"<h1>{_esc(title)}</h1>\n")
    add(_document_html(index.get("document")))
    add(f'<p class="meta">共 {len(chapters)} 章 · 时长 {format_time(total)}</p>\n</header>\n')

    add('<nav class="toc"><details><summary>目录</summary><ol>\n')
    for c, ch in enumerate(chapters):
        length = format_time(ch.end - ch.start) if ch.end > ch.start else ""
        add(
            f'<li><a href="#ch-{c + 1}">{_esc(ch.title)}</a>'
            f'<span class="dur">{length}</span></li>\n'
        )
    add("</ol></details></nav>\n")

    add('<main id="text">\n')
    for c, ch in enumerate(chapters):
        add(f'<section class="chapter" id="ch-{c + 1}">\n<h2>{_esc(ch.title)}</h2>\n')
        for p, point in enumerate(ch.points):
            add(f'<div class="point" id="p-{c}-{p}">\n<h3>')
            add(
                f'<button class="ts" type="button" data-c="{c}" data-t="{point.start}" '
                f'aria-label="从这里播放">{format_time(offset(ch) + point.start)}</button>'
            )
            if not _redundant_title(point):
                add(_esc(point.title))
            add("</h3>\n<p>")
            for k, sentence in enumerate(point.sentences):
                i = point.first_sentence + k
                add(
                    f'<span class="s" id="s-{c}-{i}" data-c="{c}" data-i="{i}" '
                    f'role="button" tabindex="0">{_esc(sentence.text)}</span>'
                )
            add("</p>\n</div>\n")
        add("</section>\n")
    add("</main>\n")

    has_audio = chapter_mode or book_url is not None
    add('<footer class="bar" id="bar">\n<div class="now" id="now" aria-live="polite">')
    add("点按任意句子从该处播放" if has_audio else "")
    add("</div>\n")
    if has_audio:
        add('<audio id="player" controls preload="metadata"></audio>\n')
    else:
        add('<p class="noaudio">这个学习包没有音频文件。</p>\n<audio id="player" hidden></audio>\n')
    add('<div class="controls">\n')
    add('<button id="prev" type="button">上一句</button>')
    add('<button id="next" type="button">下一句</button>\n<span class="rates">')
    for rate in RATES:
        label = f"{rate:g}×"
        add(
            f'<button type="button" data-rate="{rate:g}" aria-pressed="{str(rate == 1).lower()}"'
            f' aria-label="{label}速">{label}</button>'
        )
    add("</span>\n")
    add(
        '<button id="loop" class="wide" type="button" aria-pressed="false"'
        ' aria-label="单句循环">循环本句</button>'
    )
    add(
        '<button id="follow" class="wide" type="button" aria-pressed="true"'
        ' aria-label="文字跟随朗读">跟随</button>'
    )
    add('<button id="mode" class="wide" type="button" hidden>全书</button>\n</div>\n')
    add("<noscript><p>")
    for ch in chapters:
        if ch.url:
            add(f'<a href="{ch.url}">{_esc(ch.title)}</a> ')
    if book_url:
        add(f'<a href="{book_url}">全书</a>')
    add("</p></noscript>\n</footer>\n")
    add(f'<script type="application/json" id="pack-data">{script_json(data)}</script>\n')
    add(f"<script>{script}</script>\n</body>\n</html>\n")
    return "".join(out)


def write_index_html(pack_dir: Path) -> Path:
    """Render ``pack_dir/index.html`` from its index.json (atomically); return its path.

    Chapter files that index.json names but the folder lacks are left out of the page, and
    ``cover.jpg`` is used when present. PackError when there is no readable index.json.
    """
    index = read_index(pack_dir)
    for chapter in _list(index.get("chapters")):
        if (
            isinstance(chapter, dict)
            and chapter.get("file")
            and not (isinstance(chapter["file"], str) and (pack_dir / chapter["file"]).is_file())
        ):
            log.warning("index.json names %r, which is not in the pack", chapter["file"])
            chapter["file"] = None
    book = index.get("book")
    if isinstance(book, dict) and not (
        isinstance(book.get("file"), str) and (pack_dir / book["file"]).is_file()
    ):
        index["book"] = None
    cover = "cover.jpg" if (pack_dir / "cover.jpg").is_file() else None
    target = pack_dir / "index.html"
    try:
        atomic_write_text(target, render_index_html(index, cover=cover))
    except OSError as e:
        raise PackError(f"cannot write {target}: {e}") from e
    return target


def read_index(pack_dir: Path) -> dict[str, Any]:
    """The parsed index.json of a pack folder; PackError when it is not a pack folder."""
    path = pack_dir / "index.json"
    if not path.is_file():
        raise PackError(f"not a pack folder: {pack_dir} (build one with 'audiopack build')")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise PackError(f"not a pack folder: {pack_dir} (unreadable index.json: {e})") from e
    if not isinstance(value, dict) or not isinstance(value.get("chapters"), list):
        raise PackError(f"not a pack folder: {pack_dir} (index.json has no chapter list)")
    return value
