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
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from audiopack.atomic import atomic_write_text
from audiopack.errors import PackError
from audiopack.output.packs import (
    PackChapter,
    PackPoint,
    PackSentence,
    parse_index,
    plain_name,
    read_index,
)
from audiopack.output.texts import format_time

log = logging.getLogger(__name__)

__all__ = ["render_index_html", "write_index_html"]

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
    plain = plain_name(name)
    return quote(plain, safe="") if plain else None


def _url(path: Path | None) -> str | None:
    return file_url(path.name) if path is not None else None


def _units(point: PackPoint) -> tuple[PackSentence, ...]:
    """What a listener taps in a point: its sentences; a point without sentence timings is
    one tappable unit."""
    if point.sentences or not point.text:
        return point.sentences
    return (PackSentence(point.text, point.start_s, point.end_s),)


def _redundant_title(point: PackPoint) -> bool:
    """A title cut from the start of the point's own text ("今天，我们召开…") says nothing new
    (nor does the chapter's own title on its only item, e.g. an intro jingle's)."""
    title = point.title.strip()
    stem = title.removesuffix("…").removesuffix("...").rstrip()
    if not stem or stem == title:
        return False
    return "".join(s.text for s in _units(point)).lstrip().startswith(stem)


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
    pack = parse_index(index, Path())
    title, chapters, book_url = pack.title, pack.chapters, _url(pack.book)
    cover_url = file_url(cover) if cover else None
    total = pack.duration_s
    chapter_mode = any(ch.file for ch in chapters)

    data = {
        "title": title,
        "key": pack.source_sha256 or title,
        "book": book_url,
        "cover": cover_url,
        "chapters": [
            {
                "title": ch.title,
                "url": _url(ch.file),
                "start": ch.start_s,
                "end": ch.end_s,
                "sentences": [[s.start_s, s.end_s] for p in ch.points for s in _units(p)],
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

    def offset(ch: PackChapter) -> float:
        return 0.0 if chapter_mode and ch.file else ch.start_s

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
    add(_document_html(pack.document))
    add(f'<p class="meta">共 {len(chapters)} 章 · 时长 {format_time(total)}</p>\n</header>\n')

    add('<nav class="toc"><details><summary>目录</summary><ol>\n')
    for c, ch in enumerate(chapters):
        length = format_time(ch.end_s - ch.start_s) if ch.end_s > ch.start_s else ""
        add(
            f'<li><a href="#ch-{c + 1}">{_esc(ch.title)}</a>'
            f'<span class="dur">{length}</span></li>\n'
        )
    add("</ol></details></nav>\n")

    add('<main id="text">\n')
    for c, ch in enumerate(chapters):
        add(f'<section class="chapter" id="ch-{c + 1}">\n<h2>{_esc(ch.title)}</h2>\n')
        first = 0  # the chapter's running sentence number
        for p, point in enumerate(ch.points):
            add(f'<div class="point" id="p-{c}-{p}">\n<h3>')
            add(
                f'<button class="ts" type="button" data-c="{c}" data-t="{point.start_s}" '
                f'aria-label="从这里播放">{format_time(offset(ch) + point.start_s)}</button>'
            )
            if not _redundant_title(point) and point.title != ch.title:
                add(_esc(point.title))
            add("</h3>\n<p>")
            units = _units(point)
            for k, sentence in enumerate(units):
                i = first + k
                add(
                    f'<span class="s" id="s-{c}-{i}" data-c="{c}" data-i="{i}" '
                    f'role="button" tabindex="0">{_esc(sentence.text)}</span>'
                )
            first += len(units)
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
        if ch.file:
            add(f'<a href="{_url(ch.file)}">{_esc(ch.title)}</a> ')
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
    for chapter in index["chapters"]:
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
