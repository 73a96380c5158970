"""audiopack serve FOLDER: a shelf of packs, each pack's player, and the podcast feed."""

from __future__ import annotations

import http.client
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import feedparser
import pytest
from click.testing import CliRunner
from conftest import server_until_ctrl_c
from pack_fixture import BOOK_FILE, make_pack
from test_page import CHROMIUM, CHROMIUM_ARGS, needs_chromium

from audiopack.audio.ffmpeg import run_ffmpeg
from audiopack.cli import main
from audiopack.errors import PackError
from audiopack.serving.server import PackServer, serve, serve_forever
from audiopack.serving.shelf import read_pack

BOOK_MP3 = "第二个学习包.mp3"


def _retitle(pack: Path, title: str, key: str) -> None:
    index = json.loads((pack / "index.json").read_text(encoding="utf-8"))
    index["title"] = title
    index["source"]["sha256"] = key
    (pack / "index.json").write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def shelf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """output/ with two packs (the second with a book MP3, as ``--formats book-mp3`` makes),
    beside things that are not packs and must not be served."""
    base = tmp_path_factory.mktemp("shelf")
    root = base / "output"
    first = make_pack(root / "从严治党")
    second = make_pack(root / "pack-two")
    _retitle(second, "第二个学习包", "b" * 64)
    tone = "sine=frequency=300:duration=12:sample_rate=24000"
    mp3 = ["-ac", "1", "-c:a", "libmp3lame", "-b:a", "48k"]
    run_ffmpeg(["-y", "-f", "lavfi", "-i", tone, *mp3, str(second / BOOK_MP3)])
    index = json.loads((second / "index.json").read_text(encoding="utf-8"))
    index["book"] = {"file": BOOK_FILE, "m4b": BOOK_FILE, "mp3": BOOK_MP3}
    (second / "index.json").write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")
    (root / "notes").mkdir()
    (root / "notes" / "todo.txt").write_text("not a pack\n", encoding="utf-8")
    (root / "readme.txt").write_text("a file beside the packs\n", encoding="utf-8")
    hidden = make_pack(root / ".hidden-pack")
    elsewhere = make_pack(base / "elsewhere")
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    (base / "secret.txt").write_text("secret outside the shelf\n", encoding="utf-8")
    (first / "escape.txt").symlink_to(base / "secret.txt")
    assert hidden.is_dir()
    return root


def _start(root: Path, **kwargs: str) -> tuple[PackServer, threading.Thread]:
    srv = serve(root, "127.0.0.1", 0, **kwargs)  # type: ignore[arg-type]
    thread = threading.Thread(target=serve_forever, args=(srv,), daemon=True)
    thread.start()
    return srv, thread


@pytest.fixture(scope="module")
def server(shelf: Path) -> Iterator[PackServer]:
    srv, thread = _start(shelf)
    yield srv
    srv.shutdown()
    thread.join(timeout=10)


def get(
    port: int, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp, resp.read()
    finally:
        conn.close()


def test_shelf_lists_both_packs(server: PackServer) -> None:
    resp, body = get(server.port, f"/{server.token}/")
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "text/html; charset=utf-8"
    page = body.decode("utf-8")
    assert page.count('<li class="pack">') == 2
    assert "从严治党专题会议讲话" in page and "第二个学习包" in page
    for name in ("从严治党", "pack-two"):
        href = quote(name, safe="")
        assert f'href="{href}/"' in page
        assert f'src="{href}/cover.jpg"' in page
    assert "共 3 章 · 时长 00:12" in page
    assert "一、坚定共产主义信仰" in page  # chapters
    assert "notes" not in page and "hidden" not in page and "linked" not in page
    assert 'href="feed.xml"' in page
    # where the listener left off comes from the player page's own localStorage record
    data = page.split('id="shelf-data">')[1].split("</script>")[0]
    packs = json.loads(data)
    assert [p["key"] for p in packs] == ["b" * 64, "0" * 64]  # by folder name
    assert packs[1]["chapters"][1] == ["一、坚定共产主义信仰", 4.0]


def test_each_pack_has_its_player_and_files(server: PackServer, shelf: Path) -> None:
    pack = shelf / "pack-two"
    resp, body = get(server.port, f"/{server.token}/pack-two/")
    assert resp.status == 200 and body == (pack / "index.html").read_bytes()
    resp, _ = get(server.port, f"/{server.token}/pack-two")
    assert resp.status == 301 and resp.getheader("Location") == f"/{server.token}/pack-two/"
    name = quote("从严治党", safe="")
    resp, body = get(server.port, f"/{server.token}/{name}/{quote('01-开场.mp3')}")
    assert resp.status == 200 and resp.getheader("Content-Type") == "audio/mpeg"
    assert body == (shelf / "从严治党" / "01-开场.mp3").read_bytes()


def test_pack_added_while_serving_appears_on_reload(shelf: Path, tmp_path: Path) -> None:
    root = tmp_path / "output"
    shutil.copytree(shelf / "pack-two", root / "pack-two")
    srv, thread = _start(root)
    try:
        _, body = get(srv.port, f"/{srv.token}/")
        assert body.decode().count('<li class="pack">') == 1
        shutil.copytree(shelf / "从严治党", root / "later")
        _, body = get(srv.port, f"/{srv.token}/")
        assert body.decode().count('<li class="pack">') == 2
        assert get(srv.port, f"/{srv.token}/later/index.json")[0].status == 200
        feed = feedparser.parse(get(srv.port, f"/{srv.token}/feed.xml")[1])
        assert len(feed.entries) == 2
    finally:
        srv.shutdown()
        thread.join(timeout=10)


def _enclosures(feed: feedparser.FeedParserDict) -> list[dict[str, str]]:
    found = []
    for entry in feed.entries:
        (enclosure,) = [link for link in entry.links if link.rel == "enclosure"]
        found.append(enclosure)
    return found


def test_feed_parses_and_every_enclosure_downloads_with_range(
    server: PackServer, shelf: Path
) -> None:
    resp, body = get(server.port, f"/{server.token}/feed.xml")
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "application/rss+xml; charset=utf-8"
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    base = f"http://127.0.0.1:{server.port}/{server.token}/"
    assert feed.feed.image.href.startswith(base) and feed.feed.image.href.endswith("cover.jpg")
    assert feed.feed.author
    titles = [e.title for e in feed.entries]
    assert titles == ["第二个学习包", "从严治党专题会议讲话"]
    files = [shelf / "pack-two" / BOOK_MP3, shelf / "从严治党" / BOOK_FILE]  # the MP3 first
    for entry, enclosure, path in zip(feed.entries, _enclosures(feed), files, strict=True):
        assert enclosure.href.startswith(base)
        assert int(enclosure.length) == path.stat().st_size
        assert enclosure.type == ("audio/mpeg" if path.suffix == ".mp3" else "audio/mp4")
        assert entry.itunes_duration == "0:00:12"
        assert entry.id.startswith("audiopack:")
        assert entry.published_parsed is not None
        assert entry.image.href.startswith(base)
        parts = urlsplit(enclosure.href)
        resp, whole = get(parts.port or 80, parts.path)
        assert resp.status == 200 and whole == path.read_bytes()
        resp, part = get(parts.port or 80, parts.path, {"Range": "bytes=100-1099"})
        assert resp.status == 206 and part == whole[100:1100]
        assert resp.getheader("Content-Range") == f"bytes 100-1099/{len(whole)}"
        assert resp.getheader("Content-Type") == enclosure.type


def test_feed_per_chapter(shelf: Path) -> None:
    srv, thread = _start(shelf, feed_items="chapter")
    try:
        feed = feedparser.parse(get(srv.port, f"/{srv.token}/feed.xml")[1])
        assert not feed.bozo
        assert len(feed.entries) == 6
        first = feed.entries[0]
        assert first.title == "第二个学习包 · 开场"
        assert first.itunes_duration == "0:00:04"
        assert len({e.id for e in feed.entries}) == 6
        for enclosure in _enclosures(feed):
            assert enclosure.type == "audio/mpeg"
            parts = urlsplit(enclosure.href)
            resp, body = get(parts.port or 80, parts.path, {"Range": "bytes=0-9"})
            assert resp.status == 206 and len(body) == 10
    finally:
        srv.shutdown()
        thread.join(timeout=10)


def test_feed_of_a_lone_pack(shelf: Path) -> None:
    srv, thread = _start(shelf / "从严治党")
    try:
        feed = feedparser.parse(get(srv.port, f"/{srv.token}/feed.xml")[1])
        assert not feed.bozo
        (entry,) = feed.entries
        (enclosure,) = _enclosures(feed)
        assert enclosure.href == f"http://127.0.0.1:{srv.port}/{srv.token}/{quote(BOOK_FILE)}"
        assert entry.title == feed.feed.title == "从严治党专题会议讲话"
    finally:
        srv.shutdown()
        thread.join(timeout=10)


@pytest.mark.parametrize(
    "tail",
    [
        "../secret.txt",
        "%2e%2e/secret.txt",
        "notes/todo.txt",
        "readme.txt",
        ".hidden-pack/index.json",
        "%2Ehidden-pack/index.json",
        "linked/index.json",
        "linked/",
        "pack-two/../pack-two/index.json",
        "pack-two%2Findex.json",
        "pack-two/.audiopack/secret.txt",
        "%E4%BB%8E%E4%B8%A5%E6%B2%BB%E5%85%9A/escape.txt",
        "%E4%BB%8E%E4%B8%A5%E6%B2%BB%E5%85%9A/..%2F..%2Fsecret.txt",
        "index.json",
        "nonexistent/",
    ],
)
def test_no_path_traversal(server: PackServer, tail: str) -> None:
    resp, body = get(server.port, f"/{server.token}/{tail}")
    assert resp.status == 404, tail
    assert b"secret" not in body and b"not a pack" not in body


def test_no_token_no_shelf(server: PackServer) -> None:
    for path in ("/", "/feed.xml", "/pack-two/", f"/{server.token[:-1]}/feed.xml"):
        assert get(server.port, path)[0].status == 404, path


def test_bad_folder_is_one_line_error(tmp_path: Path) -> None:
    runner = CliRunner()
    for folder in (tmp_path / "missing", tmp_path):
        result = runner.invoke(main, ["serve", str(folder), "--host", "127.0.0.1", "--port", "0"])
        assert result.exit_code == 1, result.output
        assert result.output.count("\n") == 1 and "not a pack folder" in result.output
        assert "Traceback" not in result.output
    with pytest.raises(PackError, match=r"no index\.json in it or in its subfolders"):
        serve(tmp_path, "127.0.0.1", 0)


def test_pack_summary(shelf: Path) -> None:
    entry = read_pack(shelf / "pack-two", "pack-two")
    assert entry.book == BOOK_MP3
    assert entry.cover == "cover.jpg"
    assert [c.file for c in entry.chapters] == ["01-开场.mp3", "02-坚定共产主义信仰….mp3",
                                                "03-结束语 #1.mp3"]  # fmt: skip
    assert entry.duration_s == 12.0


@pytest.mark.browser
@needs_chromium
def test_shelf_shows_where_the_listener_left_off(server: PackServer) -> None:
    """The player page's saved place (localStorage, same origin) shows on the shelf."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None
    base = f"http://127.0.0.1:{server.port}/{server.token}/"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(base)
            assert page.locator("#where-1").inner_text() == ""  # nothing heard yet
            page.evaluate(
                "localStorage.setItem('audiopack:' + '0'.repeat(64),"
                " JSON.stringify({mode: 'chapters', rate: 1, c: 1, t: 65.5}))"
            )  # as the player page saves it (same origin, so the shelf can read it)
            page.reload()
            where = page.locator("#where-1")
            assert where.inner_text().strip() == "听到 一、坚定共产主义信仰 01:05"
            assert where.locator("progress").get_attribute("max") == "12"
            assert page.locator("#where-0").inner_text() == ""
            assert errors == []
        finally:
            browser.close()


def test_feed_falls_back_to_what_a_pack_has(tmp_path: Path) -> None:
    """A pack without a book file still gets episodes (its chapters), and one without chapter
    files gets its book even when chapters are asked for."""
    from audiopack.serving.feed import render_feed

    no_book = read_pack(make_pack(tmp_path / "no-book", book=False), "no-book")
    book_only = read_pack(make_pack(tmp_path / "book-only", chapter_files=False), "book-only")
    base = "http://192.0.2.1:8765/token123/"
    by_pack = feedparser.parse(render_feed([no_book, book_only], base, title="t", items="pack"))
    assert len(_enclosures(by_pack)) == 4
    urls = [e.href for e in _enclosures(by_pack)]
    assert urls[:3] == [base + "no-book/" + quote(c.file or "") for c in no_book.chapters]
    assert urls[3] == base + "book-only/" + quote(BOOK_FILE)
    by_chapter = feedparser.parse(render_feed([book_only], base, title="t", items="chapter"))
    assert [e.href for e in _enclosures(by_chapter)] == [urls[3]]


def test_cli_serves_the_shelf_and_stops_on_ctrl_c(shelf: Path) -> None:
    """``audiopack serve output``: the URL is the first line on stdout, then the QR code."""
    import sys

    command = [sys.executable, "-m", "audiopack", "serve", str(shelf), "--host", "127.0.0.1",
               "--port", "0", "--feed-items", "chapter"]  # fmt: skip
    with server_until_ctrl_c(command) as run:
        url = urlsplit(run.url)
        assert url.scheme == "http" and url.hostname == "127.0.0.1" and url.path.endswith("/")
        resp, body = get(url.port or 80, url.path)
        assert resp.status == 200 and body.decode().count('<li class="pack">') == 2
        feed = feedparser.parse(get(url.port or 80, url.path + "feed.xml")[1])
        assert len(feed.entries) == 6
    assert run.returncode == 0, run.err
    assert "█" in run.out or "▀" in run.out  # the QR code
    assert "Traceback" not in run.err
