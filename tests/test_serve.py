"""audiopack serve: a read-only, token-guarded HTTP server for a pack folder (127.0.0.1 only)."""

from __future__ import annotations

import http.client
import ipaddress
import logging
import os
import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from conftest import server_until_ctrl_c
from pack_fixture import BOOK_FILE, make_pack

from audiopack.errors import ConfigError, PackError
from audiopack.serving.server import (
    PackServer,
    content_type,
    lan_address,
    parse_range,
    qr_text,
    serve,
    serve_forever,
)

MP3 = "02-坚定共产主义信仰….mp3"


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serve")
    pack = make_pack(root / "pack")
    (root / "outside-secret.txt").write_text("secret outside the pack\n", encoding="utf-8")
    (pack / "evil.txt").symlink_to(root / "outside-secret.txt")
    (pack / "evil-dir").symlink_to(root, target_is_directory=True)
    (pack / "cachelink.txt").symlink_to(pack / ".audiopack" / "secret.txt")
    (pack / "alias.mp3").symlink_to(pack / "01-开场.mp3")
    (pack / "big.mp3").write_bytes(os.urandom(300_000))
    return pack


@pytest.fixture(scope="module")
def server(pack: Path) -> Iterator[PackServer]:
    srv = serve(pack, "127.0.0.1", 0)
    thread = threading.Thread(target=serve_forever, args=(srv,), daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    thread.join(timeout=10)


def request(
    srv: PackServer, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    return resp, body


def file_path(srv: PackServer, name: str) -> str:
    return f"/{srv.token}/{quote(name)}"


def test_url_shape(server: PackServer) -> None:
    parts = urlsplit(server.url)
    assert parts.scheme == "http"
    assert parts.hostname == "127.0.0.1"
    assert parts.port == server.port != 0
    assert parts.path == f"/{server.token}/"
    assert len(server.token) >= 20  # secrets.token_urlsafe(16)


def test_index_html(server: PackServer, pack: Path) -> None:
    resp, body = request(server, f"/{server.token}/")
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "text/html; charset=utf-8"
    assert resp.getheader("Accept-Ranges") == "bytes"
    assert resp.getheader("X-Content-Type-Options") == "nosniff"
    assert body == (pack / "index.html").read_bytes()
    resp, body = request(server, f"/{server.token}/?from=qr")
    assert resp.status == 200 and body == (pack / "index.html").read_bytes()


def test_token_without_slash_redirects(server: PackServer) -> None:
    resp, _ = request(server, f"/{server.token}")
    assert resp.status == 301
    assert resp.getheader("Location") == f"/{server.token}/"


@pytest.mark.parametrize("name", ["01-开场.mp3", MP3, "03-结束语 #1.mp3", "alias.mp3"])
def test_chinese_names_and_full_get(server: PackServer, pack: Path, name: str) -> None:
    resp, body = request(server, file_path(server, name))
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "audio/mpeg"
    assert resp.getheader("Accept-Ranges") == "bytes"
    assert body == (pack / name).read_bytes()
    assert resp.getheader("Content-Length") == str(len(body))


def test_range_middle(server: PackServer, pack: Path) -> None:
    data = (pack / MP3).read_bytes()
    resp, body = request(server, file_path(server, MP3), headers={"Range": "bytes=100-199"})
    assert resp.status == 206
    assert resp.getheader("Content-Range") == f"bytes 100-199/{len(data)}"
    assert resp.getheader("Content-Length") == "100"
    assert resp.getheader("Accept-Ranges") == "bytes"
    assert body == data[100:200]


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=-50", -50, None), ("bytes=1000-", 1000, None), ("bytes=0-0", 0, 1)],
)
def test_range_forms(
    server: PackServer, pack: Path, header: str, first: int, last: int | None
) -> None:
    data = (pack / MP3).read_bytes()
    expected = data[first:last] if last is not None else data[first:]
    resp, body = request(server, file_path(server, MP3), headers={"Range": header})
    assert resp.status == 206
    start = first if first >= 0 else len(data) + first
    assert (
        resp.getheader("Content-Range") == f"bytes {start}-{start + len(expected) - 1}/{len(data)}"
    )
    assert body == expected


def test_range_past_end_is_clipped(server: PackServer, pack: Path) -> None:
    data = (pack / MP3).read_bytes()
    resp, body = request(server, file_path(server, MP3), headers={"Range": "bytes=10-99999999"})
    assert resp.status == 206
    assert resp.getheader("Content-Range") == f"bytes 10-{len(data) - 1}/{len(data)}"
    assert body == data[10:]


@pytest.mark.parametrize("header", ["bytes={size}-", "bytes={size}-{size2}", "bytes=-0"])
def test_range_unsatisfiable(server: PackServer, pack: Path, header: str) -> None:
    size = (pack / MP3).stat().st_size
    rng = header.format(size=size, size2=size + 10)
    resp, _ = request(server, file_path(server, MP3), headers={"Range": rng})
    assert resp.status == 416
    assert resp.getheader("Content-Range") == f"bytes */{size}"


def test_unsupported_range_syntax_sends_whole_file(server: PackServer, pack: Path) -> None:
    data = (pack / MP3).read_bytes()
    for rng in ("bytes=0-1,5-6", "items=0-5", "bytes=9-3"):
        resp, body = request(server, file_path(server, MP3), headers={"Range": rng})
        assert resp.status == 200, rng
        assert body == data


def test_big_file_streams_in_chunks(server: PackServer, pack: Path) -> None:
    data = (pack / "big.mp3").read_bytes()
    resp, body = request(server, file_path(server, "big.mp3"))
    assert resp.status == 200 and body == data
    resp, body = request(
        server, file_path(server, "big.mp3"), headers={"Range": "bytes=65000-200000"}
    )
    assert resp.status == 206 and body == data[65000:200001]


def test_head(server: PackServer, pack: Path) -> None:
    size = (pack / MP3).stat().st_size
    resp, body = request(server, file_path(server, MP3), method="HEAD")
    assert resp.status == 200
    assert body == b""
    assert resp.getheader("Content-Length") == str(size)
    assert resp.getheader("Content-Type") == "audio/mpeg"


def test_etag_revalidation(server: PackServer) -> None:
    resp, _ = request(server, file_path(server, "index.json"))
    etag = resp.getheader("ETag")
    assert etag
    resp, body = request(server, file_path(server, "index.json"), headers={"If-None-Match": etag})
    assert resp.status == 304 and body == b""
    # If-Range that does not match: the whole file, not a range.
    resp, _ = request(
        server, file_path(server, MP3), headers={"Range": "bytes=0-9", "If-Range": '"stale"'}
    )
    assert resp.status == 200
    resp, _ = request(server, file_path(server, MP3), method="HEAD")
    mp3_etag = resp.getheader("ETag")
    modified = resp.getheader("Last-Modified")
    for condition in (mp3_etag, modified):
        resp, body = request(
            server, file_path(server, MP3), headers={"Range": "bytes=0-9", "If-Range": condition}
        )
        assert resp.status == 206 and len(body) == 10, condition
    resp, _ = request(
        server,
        file_path(server, MP3),
        headers={"Range": "bytes=0-9", "If-Range": "Mon, 01 Jan 2001 00:00:00 GMT"},
    )
    assert resp.status == 200


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("index.json", "application/json"),
        ("01-开场.lrc", "text/plain; charset=utf-8"),
        ("book.srt", "text/plain; charset=utf-8"),
        ("book.vtt", "text/vtt; charset=utf-8"),
        ("playlist.m3u8", "audio/mpegurl; charset=utf-8"),
        ("index.md", "text/markdown; charset=utf-8"),
        ("cover.jpg", "image/jpeg"),
        (BOOK_FILE, "audio/mp4"),
        ("index.html", "text/html; charset=utf-8"),
    ],
)
def test_content_types(server: PackServer, name: str, expected: str) -> None:
    resp, _ = request(server, file_path(server, name))
    assert resp.status == 200
    assert resp.getheader("Content-Type") == expected


def test_content_type_table() -> None:
    assert content_type("a.MP3") == "audio/mpeg"
    assert content_type("a.m4a") == "audio/mp4"
    assert content_type("a.png") == "image/png"
    assert content_type("a.bin") == "application/octet-stream"


def test_wrong_or_missing_token(server: PackServer) -> None:
    token = server.token
    for path in (
        "/",
        "/index.html",
        "/01-%E5%BC%80%E5%9C%BA.mp3",
        f"/{token[:-1]}/",
        f"/{token}x/",
        f"/{token.upper() if token.upper() != token else token.lower()}/",
        f"/x/{token}/",
        f"/../{token}/",
        f"/%2e%2e/{token}/index.html",
        "/favicon.ico",
    ):
        resp, body = request(server, path)
        assert resp.status == 404, path
        assert token.encode() not in body


@pytest.mark.parametrize(
    "tail",
    [
        "../outside-secret.txt",
        "%2e%2e/outside-secret.txt",
        "%2E%2E/outside-secret.txt",
        "%2e%2e%2foutside-secret.txt",
        "..%2Foutside-secret.txt",
        "./index.json",
        "%2e/index.json",
        "/etc/passwd",
        "%2Fetc%2Fpasswd",
        "%2fetc/passwd",
        "..%5c..%5coutside-secret.txt",
        "evil.txt",
        "evil-dir/outside-secret.txt",
        "cachelink.txt",
        ".audiopack/secret.txt",
        "%2Eaudiopack/secret.txt",
        ".audiopack/",
        ".hidden.mp3",
        "nonexistent.mp3",
        "index.json%00.txt",
        "%ff%fe.mp3",
        "01-%E5%BC%80%E5%9C%BA.mp3/",
        "pack/index.json",
    ],
)
def test_traversal_and_hidden_refused(server: PackServer, tail: str) -> None:
    resp, body = request(server, f"/{server.token}/{tail}")
    assert resp.status == 404, tail
    assert b"secret" not in body


def test_absolute_form_request_target(server: PackServer) -> None:
    resp, _ = request(server, f"http://127.0.0.1:{server.port}/{server.token}/index.json")
    assert resp.status == 200
    resp, _ = request(server, f"http://127.0.0.1:{server.port}/{server.token}/../x")
    assert resp.status == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
def test_other_methods_405(server: PackServer, method: str) -> None:
    resp, _ = request(server, f"/{server.token}/index.json", method=method)
    assert resp.status == 405
    assert resp.getheader("Allow") == "GET, HEAD"


def test_unknown_method_refused(server: PackServer) -> None:
    resp, body = request(server, f"/{server.token}/index.json", method="FOO")
    assert resp.status in (400, 405)  # aiohttp's C parser refuses unknown methods outright
    assert b"chapters" not in body


def test_keep_alive_serves_several_requests(server: PackServer, pack: Path) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for rng in ("bytes=0-9", "bytes=10-19"):
            conn.request("GET", file_path(server, MP3), headers={"Range": rng})
            resp = conn.getresponse()
            assert resp.status == 206
            assert len(resp.read()) == 10
    finally:
        conn.close()


def test_requests_logged_without_token(
    server: PackServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="audiopack.serving.server"):
        request(server, f"/{server.token}/index.json")
    messages = [r.getMessage() for r in caplog.records if r.name == "audiopack.serving.server"]
    assert any("index.json" in m and "<token>" in m for m in messages)
    assert not any(server.token in m for m in messages)


def test_generated_index_when_missing(pack: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(pack, copy, symlinks=True)
    (copy / "index.html").unlink()
    srv = serve(copy, "127.0.0.1", 0, token="fixed-token-1234")
    thread = threading.Thread(target=serve_forever, args=(srv,), daemon=True)
    thread.start()
    try:
        assert srv.url == f"http://127.0.0.1:{srv.port}/fixed-token-1234/"
        resp, body = request(srv, "/fixed-token-1234/")
        assert resp.status == 200
        assert resp.getheader("Content-Type") == "text/html; charset=utf-8"
        assert "从严治党专题会议讲话" in body.decode("utf-8")
    finally:
        srv.shutdown()
        thread.join(timeout=10)


def test_not_a_pack_folder(tmp_path: Path) -> None:
    with pytest.raises(PackError, match=r"not a pack folder: .*audiopack build"):
        serve(tmp_path, "127.0.0.1", 0)
    with pytest.raises(PackError, match="not a pack folder"):
        serve(tmp_path / "missing", "127.0.0.1", 0)
    (tmp_path / "index.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(PackError, match="not a pack folder"):
        serve(tmp_path, "127.0.0.1", 0)


def test_port_in_use_and_bad_port(pack: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ConfigError, match=f"port {port}"):
            serve(pack, "127.0.0.1", port)
    with pytest.raises(ConfigError):
        serve(pack, "127.0.0.1", 70000)
    with pytest.raises(ConfigError, match="token"):
        serve(pack, "127.0.0.1", 0, token="a/b")


def test_clean_shutdown(pack: Path) -> None:
    srv = serve(pack, "127.0.0.1", 0)
    port = srv.port
    thread = threading.Thread(target=serve_forever, args=(srv,), daemon=True)
    thread.start()
    resp, _ = request(srv, f"/{srv.token}/")
    assert resp.status == 200
    srv.shutdown()
    thread.join(timeout=10)
    assert not thread.is_alive()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_ctrl_c_stops_without_traceback(pack: Path) -> None:
    code = (
        "import logging, sys\n"
        "from pathlib import Path\n"
        "from audiopack.serving.server import serve, serve_forever\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "srv = serve(Path(sys.argv[1]), '127.0.0.1', 0)\n"
        "print(srv.url, flush=True)\n"
        "serve_forever(srv)\n"
        "print('bye', flush=True)\n"
    )
    with server_until_ctrl_c([sys.executable, "-c", code, str(pack)]) as run:
        parts = urlsplit(run.url)
        conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=10)
        conn.request("GET", parts.path)
        assert conn.getresponse().status == 200
        conn.close()
    assert run.returncode == 0, run.err
    assert "Traceback" not in run.err
    assert "KeyboardInterrupt" not in run.err
    assert run.out.strip() == "bye"


def test_qr_text() -> None:
    text = qr_text("http://192.168.1.20:8765/abcdefghijklmnopqrstuv/")
    lines = text.rstrip("\n").splitlines()
    assert len(lines) > 10
    assert len({len(line) for line in lines}) == 1  # a rectangle
    assert any(ch in text for ch in "█▀▄")


def test_lan_address_is_an_ip() -> None:
    address = lan_address()
    ip = ipaddress.ip_address(address)
    assert ip.version == 4 and not ip.is_unspecified


def test_parse_range_unit() -> None:
    assert parse_range("bytes=0-99", 1000) == (0, 99)
    assert parse_range("bytes=900-", 1000) == (900, 999)
    assert parse_range("bytes=-100", 1000) == (900, 999)
    assert parse_range("bytes=-5000", 1000) == (0, 999)
    assert parse_range("bytes=990-5000", 1000) == (990, 999)
    assert parse_range("bytes=5-1", 1000) is None
    assert parse_range("bytes=0-1,3-4", 1000) is None
    assert parse_range("bytes=-", 1000) is None
    for bad in ("bytes=1000-", "bytes=-0", "bytes=2000-3000"):
        with pytest.raises(ValueError):
            parse_range(bad, 1000)
    with pytest.raises(ValueError):
        parse_range("bytes=-1", 0)


def test_public_host_in_url(pack: Path) -> None:
    srv = PackServer(pack, "127.0.0.1", 0, token="tok-abcdefgh", public_host="192.0.2.5")
    try:
        assert srv.url == f"http://192.0.2.5:{srv.port}/tok-abcdefgh/"
    finally:
        srv.server_close()
