"""``feed.xml``: the packs being served as a podcast (RSS 2.0 with the iTunes tags podcast apps
read), so a phone's podcast app keeps the series and the place in each episode.

One item per pack with its one-file book as enclosure (the book MP3 when the pack has one, else
the M4B), or, with ``items="chapter"``, one item per chapter file. A pack without the file its
item needs falls back to the other kind. Every URL is absolute (podcast apps fetch enclosures
on their own), built from the address the feed was asked for.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formatdate
from typing import Literal
from urllib.parse import quote

from audiopack.output.texts import format_time
from audiopack.serving.shelf import PackEntry, content_type

__all__ = ["FEED_ITEMS", "FeedItems", "render_feed"]

FeedItems = Literal["pack", "chapter"]
FEED_ITEMS: tuple[FeedItems, ...] = ("pack", "chapter")

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"


def _it(tag: str) -> str:
    # a prefixed name with the prefix declared on <rss>, rather than registering the namespace
    # in ElementTree's process-wide table
    return f"itunes:{tag}"


@dataclass(frozen=True)
class _Episode:
    title: str
    guid: str
    file: str
    duration_s: float
    published: float
    number: int


def _pack_url(base_url: str, pack: PackEntry) -> str:
    return base_url + (quote(pack.name, safe="") + "/" if pack.name else "")


def _episodes(pack: PackEntry, items: FeedItems) -> list[_Episode]:
    whole = (
        [_Episode(pack.title, f"audiopack:{pack.key}:{pack.book}", pack.book,
                  pack.duration_s, pack.modified, 1)]
        if pack.book else []
    )  # fmt: skip
    chapters = [
        _Episode(
            f"{pack.title} · {chapter.title}",
            f"audiopack:{pack.key}:{n}:{chapter.file}",
            chapter.file,
            max(0.0, chapter.end_s - chapter.start_s),
            pack.modified - len(pack.chapters) + n,  # in order, a second apart
            n + 1,
        )
        for n, chapter in enumerate(pack.chapters)
        if chapter.file
    ]
    if items == "chapter":
        return chapters or whole
    return whole or chapters


def _hms(seconds: float) -> str:
    text = format_time(seconds)
    return text if text.count(":") == 2 else f"0:{text}"


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = text
    return element


def render_feed(
    packs: Sequence[PackEntry], base_url: str, *, title: str, items: FeedItems = "pack"
) -> bytes:
    """The RSS document for ``packs``; ``base_url`` is the absolute URL of the shelf (or of the
    lone pack), ending in ``/``."""
    rss = ET.Element("rss", {"version": "2.0", "xmlns:itunes": ITUNES})
    channel = ET.SubElement(rss, "channel")
    _text(channel, "title", title)
    _text(channel, "link", base_url)
    _text(channel, "description", f"{title}：audiopack 学习音频包")
    _text(channel, "language", "zh-cn")
    _text(channel, "generator", "audiopack")
    newest = max((p.modified for p in packs), default=0.0)
    _text(channel, "lastBuildDate", formatdate(newest, usegmt=True))
    authors = sorted({p.author for p in packs}) or ["audiopack"]
    _text(channel, _it("author"), "、".join(authors))
    _text(channel, _it("explicit"), "false")
    _text(channel, _it("type"), "serial" if items == "chapter" else "episodic")
    ET.SubElement(channel, _it("category"), {"text": "Education"})
    with_cover = next((p for p in packs if p.cover), None)
    if with_cover and with_cover.cover:
        cover_url = _pack_url(base_url, with_cover) + quote(with_cover.cover, safe="")
        ET.SubElement(channel, _it("image"), {"href": cover_url})
        image = ET.SubElement(channel, "image")
        _text(image, "url", cover_url)
        _text(image, "title", title)
        _text(image, "link", base_url)
    for pack in packs:
        pack_url = _pack_url(base_url, pack)
        chapters = "；".join(c.title for c in pack.chapters)
        for episode in _episodes(pack, items):
            path = pack.folder / episode.file
            try:
                length = path.stat().st_size
            except OSError:
                continue  # removed since the pack was read
            item = ET.SubElement(channel, "item")
            _text(item, "title", episode.title)
            _text(item, "link", pack_url)
            _text(item, "description", f"{pack.title}（共 {len(pack.chapters)} 章）：{chapters}")
            _text(item, "guid", episode.guid, isPermaLink="false")
            _text(item, "pubDate", formatdate(max(0.0, episode.published), usegmt=True))
            url = pack_url + quote(episode.file, safe="")
            mime = content_type(episode.file).split(";")[0]
            ET.SubElement(item, "enclosure", {"url": url, "length": str(length), "type": mime})
            _text(item, _it("author"), pack.author)
            _text(item, _it("duration"), _hms(episode.duration_s))
            _text(item, _it("explicit"), "false")
            if items == "chapter":
                _text(item, _it("episode"), str(episode.number))
            if pack.cover:
                ET.SubElement(item, _it("image"), {"href": pack_url + quote(pack.cover, safe="")})
    ET.indent(rss)
    document: bytes = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
