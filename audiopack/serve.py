"""``audiopack serve``: serve a pack folder read-only over HTTP to a phone on the same network.

Only ``http://HOST:PORT/<token>/...`` is served, where the token is random per run; everything
else is 404. Only GET and HEAD are allowed (405 otherwise). Only regular files inside the pack
folder are served, never hidden ones (``.audiopack/`` cache) and never through a symlink that
leads out of the folder or into a hidden one. Range requests (seeking on phones) get 206.

Typical use by the CLI::

    server = serve(pack_dir, host=None, port=8765)
    print(server.url)                                  # the first line on stdout
    print(qr_text(server.url), file=sys.stderr)
    serve_forever(server)                              # returns on Ctrl-C
"""

from __future__ import annotations

import errno
import hmac
import io
import ipaddress
import logging
import os
import re
import secrets
import socket
import stat
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, BinaryIO
from urllib.parse import unquote, urlsplit

from audiopack.errors import ConfigError
from audiopack.page import read_index, render_index_html

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_PORT",
    "PackServer",
    "content_type",
    "lan_address",
    "parse_range",
    "qr_text",
    "serve",
    "serve_forever",
]

DEFAULT_PORT = 8765
CHUNK = 64 * 1024

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
    """The Content-Type sent for a file name (by extension, case-insensitive)."""
    return CONTENT_TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


_RANGE_RE = re.compile(r"bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*")


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive byte range ``(first, last)`` a ``Range`` header asks of a ``size``-byte file.

    None means "ignore the header and send the whole file" (no header, a syntax this server does
    not use such as several ranges); ValueError means the range is unsatisfiable (416).
    """
    match = _RANGE_RE.fullmatch(header)
    if not match:
        return None
    first_s, last_s = match.groups()
    if not first_s and not last_s:
        return None
    if not first_s:  # "-n": the last n bytes
        suffix = int(last_s)
        if suffix == 0 or size == 0:
            raise ValueError("unsatisfiable suffix range")
        return max(0, size - suffix), size - 1
    first = int(first_s)
    if last_s and int(last_s) < first:
        return None  # syntactically invalid: ignore (RFC 9110 14.1.1)
    if first >= size:
        raise ValueError("range starts past the end")
    last = int(last_s) if last_s else size - 1
    return first, min(last, size - 1)


def lan_address() -> str:
    """This machine's address on the local network, or 127.0.0.1.

    Connecting a UDP socket only picks the route and the local interface; no packet is sent.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.254.254.254", 9))
            address = str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "127.0.0.1"
    return "127.0.0.1" if ip.is_unspecified else address


def qr_text(url: str) -> str:
    """A QR code of ``url`` drawn with Unicode block characters, for a terminal."""
    import segno

    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True)
    return out.getvalue()


class _Handler(BaseHTTPRequestHandler):
    server: PackServer
    protocol_version = "HTTP/1.1"
    server_version = "audiopack"
    sys_version = ""
    timeout = 60  # seconds a client may stay idle

    # -- request routing -------------------------------------------------------------------

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if self.command not in ("GET", "HEAD"):
            self.close_connection = True
            self._send_text(
                HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed\n", {"Allow": "GET, HEAD"}
            )
            return False
        return True

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def _respond(self, body: bool) -> None:
        segments = self._segments()
        if segments is None:
            self._send_text(HTTPStatus.NOT_FOUND, "not found\n", body=body)
            return
        if not segments:  # "/<token>": relative links need the trailing slash
            self._send_text(
                HTTPStatus.MOVED_PERMANENTLY,
                "moved\n",
                {"Location": f"/{self.server.token}/"},
                body=body,
            )
            return
        if segments == [""]:
            segments = ["index.html"]
        path = self.server.resolve(segments)
        if path is None:
            if segments == ["index.html"]:
                self._send_generated_index(body)
                return
            self._send_text(HTTPStatus.NOT_FOUND, "not found\n", body=body)
            return
        self._send_file(path, body)

    def _segments(self) -> list[str] | None:
        """The decoded path segments after a valid token ([] for "/<token>"), or None."""
        raw = urlsplit(self.path).path
        if not raw.startswith("/"):
            return None
        parts = raw.split("/")[1:]
        if not parts or not hmac.compare_digest(
            parts[0].encode("utf-8", "surrogateescape"), self.server.token.encode("ascii")
        ):
            return None
        decoded: list[str] = []
        for part in parts[1:]:
            try:
                decoded.append(unquote(part, encoding="utf-8", errors="strict"))
            except UnicodeDecodeError:
                return None
        return decoded

    # -- responses -------------------------------------------------------------------------

    def _common_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-cache")

    def _send_text(
        self,
        status: HTTPStatus,
        text: str,
        headers: dict[str, str] | None = None,
        body: bool = True,
    ) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self._common_headers()
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _send_generated_index(self, body: bool) -> None:
        """The pack has no index.html (an older build): render one from index.json."""
        try:
            index = read_index(self.server.pack_dir)
            cover = "cover.jpg" if self.server.resolve(["cover.jpg"]) else None
            data = render_index_html(index, cover=cover).encode("utf-8")
        except Exception:
            log.exception("cannot render index.html for %s", self.server.pack_dir)
            self._send_text(HTTPStatus.INTERNAL_SERVER_ERROR, "cannot render index\n", body=body)
            return
        self.send_response(HTTPStatus.OK)
        self._common_headers()
        self.send_header("Content-Type", content_type("index.html"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _send_file(self, path: Path, body: bool) -> None:
        try:
            handle: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError:
            self._send_text(HTTPStatus.NOT_FOUND, "not found\n", body=body)
            return
        with handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                self._send_text(HTTPStatus.NOT_FOUND, "not found\n", body=body)
                return
            size = info.st_size
            etag = f'"{size:x}-{info.st_mtime_ns:x}"'
            modified = formatdate(info.st_mtime, usegmt=True)
            if self._not_modified(etag, info.st_mtime):
                self.send_response(HTTPStatus.NOT_MODIFIED)
                self._common_headers()
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            wanted: tuple[int, int] | None = None
            range_header = self.headers.get("Range")
            if range_header and self._if_range_ok(etag, modified):
                try:
                    wanted = parse_range(range_header, size)
                except ValueError:
                    self._send_text(
                        HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                        "range not satisfiable\n",
                        {"Content-Range": f"bytes */{size}"},
                        body=body,
                    )
                    return
            if wanted is None:
                first, last = 0, size - 1
                self.send_response(HTTPStatus.OK)
            else:
                first, last = wanted
                self.send_response(HTTPStatus.PARTIAL_CONTENT)
                self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            length = max(0, last - first + 1)
            self._common_headers()
            self.send_header("Content-Type", content_type(path.name))
            self.send_header("Content-Length", str(length))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            self.end_headers()
            if body and length:
                handle.seek(first)
                _copy(handle, self.wfile, length)

    def _not_modified(self, etag: str, mtime: float) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
            return etag in tags or "*" in tags
        since = self.headers.get("If-Modified-Since")
        if since and not self.headers.get("Range"):
            try:
                return int(mtime) <= parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
        return False

    def _if_range_ok(self, etag: str, modified: str) -> bool:
        condition = self.headers.get("If-Range")
        return condition is None or condition.strip() in (etag, modified)

    # -- logging and errors ----------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        message = format % args
        log.info("%s %s", self.address_string(), message.replace(self.server.token, "<token>"))

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if isinstance(code, HTTPStatus):
            code = code.value
        self.log_message('"%s" %s %s', self.requestline, str(code), str(size))

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, TimeoutError):
            # Phones drop range requests all the time when seeking.
            log.debug("client %s went away", self.address_string())
            self.close_connection = True


def _copy(src: IO[bytes], dst: io.BufferedIOBase, length: int) -> None:
    """Copy ``length`` bytes from ``src`` to ``dst`` in chunks (never the whole file in memory)."""
    remaining = length
    while remaining > 0:
        chunk = src.read(min(CHUNK, remaining))
        if not chunk:
            break  # the file shrank while being sent
        dst.write(chunk)
        remaining -= len(chunk)


class PackServer(ThreadingHTTPServer):
    """A read-only HTTP server for one pack folder; ``url`` is the address to open."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        pack_dir: Path,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        token: str | None = None,
        *,
        public_host: str | None = None,
    ) -> None:
        read_index(pack_dir)  # PackError unless this is a pack folder
        self.pack_dir = pack_dir.resolve()
        self.token = token or secrets.token_urlsafe(16)
        if not re.fullmatch(r"[A-Za-z0-9_-]{8,}", self.token):
            raise ConfigError("invalid token: use at least 8 of A-Z a-z 0-9 _ -")
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            super().__init__((host, port), _Handler)
        except OSError as e:
            hint = ""
            if e.errno == errno.EADDRINUSE:
                hint = " (in use: choose another with --port, or 0 for a free one)"
            raise ConfigError(f"cannot listen on {host} port {port}: {e.strerror}{hint}") from e
        self.public_host = public_host or host
        log.info("serving %s on %s port %d", self.pack_dir, host, self.port)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """``http://HOST:PORT/<token>/``: the page of the pack."""
        host = self.public_host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/{self.token}/"

    def resolve(self, segments: list[str]) -> Path | None:
        """The regular file the decoded path ``segments`` name inside the pack, or None.

        Refused: empty segments (``//``), ``.``/``..`` and every hidden name, separators or NUL
        inside a segment (``%2F``), absolute or drive paths, and anything that resolves (through
        symlinks) outside the pack or into a hidden file or folder.
        """
        for segment in segments:
            if not segment or segment.startswith(".") or "\x00" in segment:
                return None
            if "/" in segment or "\\" in segment or os.path.isabs(segment):
                return None
            if os.path.splitdrive(segment)[0]:
                return None
        try:
            target = self.pack_dir.joinpath(*segments).resolve(strict=True)
            relative = target.relative_to(self.pack_dir)
        except (OSError, ValueError, RuntimeError):
            return None
        if any(part.startswith(".") for part in relative.parts) or not target.is_file():
            return None
        return target


def serve(
    pack_dir: Path,
    host: str | None = None,
    port: int = DEFAULT_PORT,
    token: str | None = None,
) -> PackServer:
    """Bind a :class:`PackServer` for ``pack_dir`` (not yet serving: see :func:`serve_forever`).

    ``host`` None listens on this machine's LAN address (:func:`lan_address`); ``"0.0.0.0"`` or
    ``"::"`` listen everywhere and advertise the LAN address. ``port`` 0 picks a free port.
    PackError when ``pack_dir`` is not a pack folder; ConfigError when the address cannot be used.
    """
    if not 0 <= port <= 65535:
        raise ConfigError(f"invalid port {port}: must be between 0 and 65535")
    public: str | None = None
    if host is None:
        host = lan_address()
    elif host in ("0.0.0.0", "::", ""):
        host = host or "0.0.0.0"
        public = lan_address()
    return PackServer(pack_dir, host, port, token, public_host=public)


def serve_forever(server: PackServer) -> None:
    """Serve until Ctrl-C (KeyboardInterrupt) or :meth:`shutdown`; then close the socket."""
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        log.info("stopped")
    finally:
        server.server_close()
