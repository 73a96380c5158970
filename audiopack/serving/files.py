"""Sending a served folder's files: which file a request path names (never a hidden one, never
outside the folder), and aiohttp's FileResponse shown a settled ``Range`` (see
:class:`_FileResponse`)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from multidict import CIMultiDict

from audiopack.serving.shelf import content_type

__all__ = ["file_response", "parse_range", "resolve", "text_response"]


def resolve(folder: Path, segments: list[str]) -> Path | None:
    """The regular file the decoded path ``segments`` name inside ``folder``, or None.

    Refused: empty segments (``//``), ``.``/``..`` and every hidden name, separators or NUL
    inside a segment (``%2F``), absolute or drive paths, and anything that resolves (through
    symlinks) outside the folder or into a hidden file or folder.
    """
    for segment in segments:
        if not segment or segment.startswith(".") or "\x00" in segment:
            return None
        if "/" in segment or "\\" in segment or os.path.isabs(segment):
            return None
        if os.path.splitdrive(segment)[0]:
            return None
    try:
        target = folder.joinpath(*segments).resolve(strict=True)
        relative = target.relative_to(folder)
    except (OSError, ValueError, RuntimeError):
        return None
    if any(part.startswith(".") for part in relative.parts) or not target.is_file():
        return None
    return target


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


class _FileResponse(web.FileResponse):
    """aiohttp's FileResponse (sendfile, Range, ETag, 304), shown a request whose ``Range`` is
    settled first: aiohttp answers a range unit it does not know or several ranges with 416
    where RFC 9110 says to send the whole file, and reads ``If-Range`` only as a date, so a
    stale entity tag would still get a range of the changed file."""

    def __init__(self, path: Path, range_header: str | None) -> None:
        super().__init__(path, headers={"Content-Type": content_type(path.name)})
        self._range_header = range_header

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        headers = CIMultiDict(request.headers)
        headers.popall("Range", None)
        headers.popall("If-Range", None)
        if self._range_header:
            headers["Range"] = self._range_header
        return await super().prepare(request.clone(headers=headers))


def file_response(request: web.Request, path: Path) -> web.StreamResponse:
    """``path`` sent as ``request`` asks: whole, a range, 304 or 416."""
    try:
        info = path.stat()
    except OSError:
        return text_response(404, "not found\n")
    header = request.headers.get("Range")
    condition = request.headers.get("If-Range")
    if header and condition is not None:
        etag = f'"{info.st_mtime_ns:x}-{info.st_size:x}"'  # as aiohttp's FileResponse sends it
        modified = request.if_range
        if condition.strip() != etag and (modified is None or info.st_mtime > modified.timestamp()):
            header = None  # the client's copy is stale: send the whole file
    wanted: tuple[int, int] | None = None
    if header:
        try:
            wanted = parse_range(header, info.st_size)
        except ValueError:
            return text_response(
                416, "range not satisfiable\n", {"Content-Range": f"bytes */{info.st_size}"}
            )
    canonical = f"bytes={wanted[0]}-{wanted[1]}" if wanted else None
    return _FileResponse(path, canonical)


def text_response(status: int, text: str, headers: dict[str, str] | None = None) -> web.Response:
    """A short plain-text answer (errors, redirects)."""
    return web.Response(status=status, text=text, headers=headers)
