"""``audiopack serve``: serve a pack, or a shelf of packs, read-only over HTTP to phones on the
same network (aiohttp.web; its FileResponse answers Range, If-Range and ETag revalidation).

Only ``http://HOST:PORT/<token>/...`` is served, where the token is random per run; everything
else is 404. Only GET and HEAD are allowed (405 otherwise). Only regular files inside the served
folder are sent, never hidden ones (``.audiopack/`` cache) and never through a symlink that leads
out of the folder or into a hidden one.

A pack folder (it has an index.json) is served as it is: ``/<token>/`` is its player page and
``/<token>/feed.xml`` its podcast feed. A folder of packs (e.g. ``output/``) is a shelf:
``/<token>/`` lists the packs (read afresh on each request, so a new pack appears on reload),
``/<token>/feed.xml`` is the feed of them all and ``/<token>/<pack>/`` each pack's player.

Typical use by the CLI::

    server = serve(folder, host=None, port=8765)
    print(server.url)                                  # the first line on stdout
    print(qr_text(server.url), file=sys.stderr)
    serve_forever(server)                              # returns on Ctrl-C
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import io
import ipaddress
import logging
import os
import re
import secrets
import socket
import threading
from pathlib import Path
from urllib.parse import quote, unquote

from aiohttp import web

from audiopack.errors import ConfigError, PackError
from audiopack.output.packs import read_index
from audiopack.output.page import render_index_html
from audiopack.serving.feed import FeedItems, render_feed
from audiopack.serving.files import file_response, parse_range, resolve, text_response
from audiopack.serving.shelf import (
    PackEntry,
    content_type,
    find_packs,
    pack_folder,
    read_pack,
    render_shelf_html,
)

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
FEED = "feed.xml"
_HOST_RE = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


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


def _not_found() -> web.Response:
    return text_response(404, "not found\n")


class PackServer:
    """A read-only HTTP server for a pack folder or a folder of packs; ``url`` is the address
    to open. The socket is bound at construction; :meth:`serve_forever` serves it."""

    def __init__(
        self,
        root: Path,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        token: str | None = None,
        *,
        public_host: str | None = None,
        feed_items: FeedItems = "pack",
    ) -> None:
        self.root = root.resolve()
        self.single = (root / "index.json").exists()
        if self.single:
            read_index(root)  # PackError unless this is a pack folder
        elif not root.is_dir():
            raise PackError(f"not a pack folder: {root} (no such folder)")
        elif not find_packs(self.root):
            raise PackError(
                f"not a pack folder: {root} (no index.json in it or in its subfolders;"
                " build one with 'audiopack build')"
            )
        self.token = token or secrets.token_urlsafe(16)
        if not re.fullmatch(r"[A-Za-z0-9_-]{8,}", self.token):
            raise ConfigError("invalid token: use at least 8 of A-Z a-z 0-9 _ -")
        self.feed_items: FeedItems = feed_items
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if os.name != "nt":  # on Windows this would let two servers share the port
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._sock.bind((host, port))
            self._sock.listen(128)
        except OSError as e:
            self._sock.close()
            hint = ""
            if e.errno == errno.EADDRINUSE:
                hint = " (in use: choose another with --port, or 0 for a free one)"
            raise ConfigError(f"cannot listen on {host} port {port}: {e.strerror}{hint}") from e
        self.public_host = public_host or host
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._lock = threading.Lock()
        self._closing = False
        self._done = threading.Event()
        log.info("serving %s on %s port %d", self.root, host, self.port)

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        """``http://HOST:PORT/<token>/``: the pack's page, or the shelf."""
        host = self.public_host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/{self.token}/"

    # -- running -----------------------------------------------------------------------------

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        app.on_response_prepare.append(self._prepare)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.SockSite(runner, self._sock).start()
            with self._lock:
                self._loop = asyncio.get_running_loop()
                self._stop = asyncio.Event()
                if self._closing:
                    self._stop.set()
            await self._stop.wait()
        finally:
            await runner.cleanup()

    def serve_forever(self) -> None:
        """Serve until Ctrl-C (KeyboardInterrupt) or :meth:`shutdown`; then close the socket."""
        try:
            asyncio.run(self._serve())
        except KeyboardInterrupt:
            log.info("stopped")
        finally:
            self.server_close()
            self._done.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop :meth:`serve_forever` (from another thread) and wait until it has returned."""
        with self._lock:
            self._closing = True
            loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(stop.set)
            self._done.wait(timeout)

    def server_close(self) -> None:
        """Close the listening socket (for a server that was never served)."""
        self._sock.close()

    # -- requests ----------------------------------------------------------------------------

    async def _prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = "audiopack"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-cache"
        response.headers.setdefault("Accept-Ranges", "bytes")
        path = request.rel_url.raw_path.replace(self.token, "<token>")
        log.info('%s "%s %s" %d', request.remote, request.method, path, response.status)

    def _segments(self, raw_path: str) -> list[str] | None:
        """The decoded path segments after a valid token ([] for "/<token>"), or None."""
        if not raw_path.startswith("/"):
            return None
        parts = raw_path.split("/")[1:]
        if not parts or not hmac.compare_digest(
            parts[0].encode("utf-8", "surrogateescape"), self.token.encode("ascii")
        ):
            return None
        decoded: list[str] = []
        for part in parts[1:]:
            try:
                decoded.append(unquote(part, encoding="utf-8", errors="strict"))
            except UnicodeDecodeError:
                return None
        return decoded

    def _base_url(self, request: web.Request) -> str:
        """The absolute URL of ``/<token>/`` as the client reached it."""
        host = request.host if _HOST_RE.fullmatch(request.host or "") else None
        return f"http://{host}/{self.token}/" if host else self.url

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return text_response(405, "method not allowed\n", {"Allow": "GET, HEAD"})
        segments = self._segments(request.rel_url.raw_path)
        if segments is None:
            return _not_found()
        if not segments:  # "/<token>": relative links need the trailing slash
            raise web.HTTPMovedPermanently(f"/{self.token}/")
        if self.single:
            return self._pack_file(request, self.root, segments)
        if segments == [""]:
            return self._shelf()
        if segments == [FEED]:
            return self._feed(request)
        name = segments[0]
        folder = pack_folder(self.root, name)
        if folder is None:
            return _not_found()
        if len(segments) == 1:
            raise web.HTTPMovedPermanently(f"/{self.token}/{quote(name, safe='')}/")
        return self._pack_file(request, folder, segments[1:])

    def _pack_file(
        self, request: web.Request, folder: Path, segments: list[str]
    ) -> web.StreamResponse:
        if segments == [""]:
            segments = ["index.html"]
        path = resolve(folder, segments)
        if path is not None:
            return file_response(request, path)
        if segments == ["index.html"]:
            return self._generated_index(folder)
        if self.single and segments == [FEED]:
            return self._feed(request)
        return _not_found()

    def _generated_index(self, folder: Path) -> web.Response:
        """The pack has no index.html (an older build): render one from index.json."""
        try:
            index = read_index(folder)
            cover = "cover.jpg" if resolve(folder, ["cover.jpg"]) else None
            page = render_index_html(index, cover=cover)
        except Exception:
            log.exception("cannot render index.html for %s", folder)
            return text_response(500, "cannot render index\n")
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    def _shelf(self) -> web.Response:
        page = render_shelf_html(find_packs(self.root), feed=FEED)
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    def _feed(self, request: web.Request) -> web.Response:
        packs: tuple[PackEntry, ...]
        if self.single:
            packs = (read_pack(self.root),)
            title = packs[0].title
        else:
            packs = find_packs(self.root)
            title = f"学习包：{self.root.name}"
        body = render_feed(packs, self._base_url(request), title=title, items=self.feed_items)
        return web.Response(body=body, content_type="application/rss+xml", charset="utf-8")


def serve(
    root: Path,
    host: str | None = None,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    *,
    feed_items: FeedItems = "pack",
) -> PackServer:
    """Bind a :class:`PackServer` for ``root`` (not yet serving: see :func:`serve_forever`).

    ``host`` None listens on this machine's LAN address (:func:`lan_address`); ``"0.0.0.0"`` or
    ``"::"`` listen everywhere and advertise the LAN address. ``port`` 0 picks a free port.
    PackError when ``root`` is neither a pack folder nor a folder of packs; ConfigError when the
    address cannot be used.
    """
    if not 0 <= port <= 65535:
        raise ConfigError(f"invalid port {port}: must be between 0 and 65535")
    public: str | None = None
    if host is None:
        host = lan_address()
    elif host in ("0.0.0.0", "::", ""):
        host = host or "0.0.0.0"
        public = lan_address()
    return PackServer(root, host, port, token, public_host=public, feed_items=feed_items)


def serve_forever(server: PackServer) -> None:
    """Serve until Ctrl-C (KeyboardInterrupt) or :meth:`PackServer.shutdown`."""
    server.serve_forever()
