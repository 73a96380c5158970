"""Reading stage: manuscript file (.txt, .md, .docx) → normalised text → Document of blocks.

Every format ends up as the same flat list of blocks so that one structure parser handles all of
them: plain-text lines carry no heading level (the parser derives it from markers such as
"一、"), markdown and docx give explicit levels from ``#`` and Heading styles.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audiopack.errors import ManuscriptError

if TYPE_CHECKING:
    from docx.text.paragraph import Paragraph

log = logging.getLogger(__name__)

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
DOCX_SUFFIX = ".docx"

#: Encodings charset-normalizer may report for Chinese text; all decode as gb18030 (superset).
_CHINESE_ENCODINGS = frozenset({"gb2312", "gbk", "gb18030", "hz", "cp936", "euc_cn"})
#: Share of control bytes above which a file is taken to be binary, not text.
_BINARY_CONTROL_SHARE = 0.05
#: Share of non-ASCII characters that must be CJK for a gb18030 guess to be trusted.
_CJK_SHARE = 0.7

#: Line separators other than \n that plain text may carry (form feed = page break).
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


@dataclass(frozen=True)
class Block:
    """One paragraph of a manuscript.

    ``heading_level`` is set only where the format says so explicitly (markdown ``#``, docx
    Heading styles; 1 = top); plain-text lines leave it None and the parser reads markers.
    ``numbered`` marks explicit list items (markdown ``1.``, docx numbered/list paragraphs).
    """

    text: str
    heading_level: int | None = None
    numbered: bool = False


@dataclass(frozen=True)
class Document:
    """A manuscript as read from disk: its blocks in order and an explicit title if it had one."""

    blocks: tuple[Block, ...]
    #: Title the format marked explicitly (docx "Title" style, a single leading markdown "#").
    title: str | None = None
    #: File name, for error messages.
    source: str = "<text>"


# --------------------------------------------------------------------------- normalisation


def normalize_text(text: str) -> str:
    """Unify line breaks, drop invisible/control characters, tidy spaces (see module docs).

    Lines are stripped of all (also full-width) spaces at both ends; inside a line every
    space-like character becomes one ordinary space per character, tabs are kept.
    """
    text = _LINE_BREAKS.sub("\n", text)
    lines = text.translate(_cleaning_table(set(text))).split("\n")
    return "\n".join(line.strip(" \t") for line in lines)


def _cleaning_table(characters: set[str]) -> dict[int, str | None]:
    """What :func:`normalize_text` does to each of ``characters``, for ``str.translate``:
    a text has far fewer distinct characters than characters."""
    table: dict[int, str | None] = {}
    for ch in characters - {"\n", "\t"}:
        category = unicodedata.category(ch)
        # Cc = control chars, Cf = zero-width / BOM / bidi marks: invisible, never spoken.
        if category in ("Cc", "Cf", "Cs"):
            table[ord(ch)] = None
        elif category == "Zs":
            table[ord(ch)] = " "
    return table


def text_document(text: str, source: str = "<text>") -> Document:
    """Plain text → Document: each non-empty normalised line is one block; markers give levels."""
    lines = normalize_text(text).split("\n")
    return Document(blocks=tuple(Block(line) for line in lines if line), source=source)


# --------------------------------------------------------------------------- plain text


def _read_bytes(path: Path) -> bytes:
    name = str(path)
    if path.is_dir():
        raise ManuscriptError(f"{name} is a directory: give a manuscript file (.txt, .md or .docx)")
    if not path.exists():
        raise ManuscriptError(f"manuscript {name} not found: check the path and file name")
    try:
        return path.read_bytes()
    except PermissionError:
        raise ManuscriptError(
            f"cannot read {name}: permission denied; make the file readable and retry"
        ) from None
    except OSError as exc:
        raise ManuscriptError(
            f"cannot read {name}: {exc.strerror or exc}; check the file"
        ) from None


def _looks_binary(data: bytes) -> bool:
    if b"\x00" in data:
        return True
    controls = sum(1 for b in data if b < 0x20 and b not in b"\t\n\r\x0c\x1b")
    return controls > _BINARY_CONTROL_SHARE * len(data)


def _cjk_share(text: str) -> float:
    """Share of non-ASCII characters that are CJK ideographs or CJK/full-width punctuation."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return 1.0
    cjk = sum(
        1
        for ch in wide
        if "\u4e00" <= ch <= "\u9fff"
        or "\u3400" <= ch <= "\u4dbf"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
        or "\u2010" <= ch <= "\u2027"  # dashes, quotes, ellipsis
        or "\u2460" <= ch <= "\u24ff"  # ①②…
        or "\U00020000" <= ch <= "\U0003134f"
        or ch in "×·"
    )
    return cjk / len(wide)


def _decode(data: bytes, name: str) -> str:
    # A BOM is decisive; UTF-32 before UTF-16 because the UTF-32-LE BOM starts with FF FE.
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return _decode_or_fail(data, "utf-32", name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode_or_fail(data, "utf-16", name)
    if _looks_binary(data):
        raise ManuscriptError(
            f"{name} looks like a binary file, not text: give a .txt, .md or .docx manuscript"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return _decode_non_utf8(data, name)


def _decode_or_fail(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise ManuscriptError(
            f"cannot decode {name} as {encoding.upper()} although it starts with a "
            "byte-order mark: save it again as UTF-8"
        ) from None


def _decode_non_utf8(data: bytes, name: str) -> str:
    import charset_normalizer  # slow import, only needed for non-UTF-8 files

    matches = charset_normalizer.from_bytes(data)
    candidates: list[str] = []
    for match in matches:
        candidates.append(match.encoding)
        candidates.extend(match.could_be_from_charset)
    log.debug("%s: charset candidates %s", name, candidates)
    try:
        as_gb = data.decode("gb18030")
    except UnicodeDecodeError:
        as_gb = None
    # gb18030 is a superset of GB2312/GBK; also trust it over a detector guess such as cp949
    # or shift_jis when the result reads as Chinese, which short GBK texts often get.
    if as_gb is not None and (
        any(c.lower() in _CHINESE_ENCODINGS for c in candidates) or _cjk_share(as_gb) >= _CJK_SHARE
    ):
        log.info("%s: decoded as GB18030", name)
        return as_gb
    best = matches.best()
    if best is not None:
        log.info("%s: decoded as %s", name, best.encoding)
        return str(best)
    raise ManuscriptError(
        f"cannot decode {name}: the encoding is neither UTF-8 nor GBK/GB18030; save it as UTF-8"
    )


def read_text(path: Path) -> str:
    """Read a text manuscript, detecting its encoding; return normalised text (``\\n`` lines).

    Raises ManuscriptError for a missing/unreadable/empty/binary/undecodable file.
    """
    name = str(path)
    data = _read_bytes(path)
    if not data:
        raise ManuscriptError(f"{name} is empty: put the manuscript text into it")
    text = _decode(data, name)
    if text.count("\ufffd") > max(3, len(text) // 100):
        raise ManuscriptError(
            f"cannot decode {name}: too many invalid characters; save it as UTF-8"
        )
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\x0c")
    if controls > _BINARY_CONTROL_SHARE * len(text):
        raise ManuscriptError(
            f"{name} looks like a binary file, not text: give a .txt, .md or .docx manuscript"
        )
    normalised = normalize_text(text)
    if not normalised.strip():
        raise ManuscriptError(f"{name} contains only whitespace: put the manuscript text into it")
    return normalised


# --------------------------------------------------------------------------- markdown

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_MD_BULLET = re.compile(r"^[-*+]\s+")
_MD_ORDERED = re.compile(r"^\d{1,3}[.)]\s+")
_MD_RULE = re.compile(r"^(?:[-*_]\s*){3,}$")
_MD_QUOTE = re.compile(r"^(?:>\s?)+")
_MD_STRONG = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def _md_inline(text: str) -> str:
    # Only paired "**"/"__" go: a lone "*" is a common placeholder ("*书记") in these texts.
    text = _MD_STRONG.sub(lambda m: m.group(1) or m.group(2) or "", text)
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    return text.strip()


def markdown_document(text: str, source: str = "<markdown>") -> Document:
    """Markdown → Document. One non-empty line = one block (as in plain text)."""
    blocks: list[Block] = []
    in_fence = False
    for raw in normalize_text(text).split("\n"):
        line = raw.strip()
        if line.startswith(("```", "~~~")):
            in_fence = not in_fence  # code is not speech; the fence lines are markup
            continue
        if in_fence or not line or _MD_RULE.match(line) or line.startswith("<!--"):
            continue
        line = _MD_QUOTE.sub("", line)
        heading = _MD_HEADING.match(line)
        if heading:
            content = _md_inline(heading.group(2))
            if content:
                blocks.append(Block(content, heading_level=len(heading.group(1))))
            continue
        numbered = bool(_MD_ORDERED.match(line))
        if not numbered:
            line = _MD_BULLET.sub("", line)
        content = _md_inline(line)
        if content:
            blocks.append(Block(content, numbered=numbered))
    title: str | None = None
    top = [b for b in blocks if b.heading_level == 1]
    # A single "#" that opens the file names the document; several "#"s are sections.
    if blocks and blocks[0].heading_level == 1 and len(top) == 1:
        title = blocks[0].text
        blocks = blocks[1:]
    return Document(blocks=tuple(blocks), title=title, source=source)


# --------------------------------------------------------------------------- docx

_DOCX_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
_DOCX_TITLE_STYLES = frozenset({"title", "标题"})


def _docx_paragraph_block(paragraph: Paragraph) -> tuple[str, str, bool]:
    """(text, style name, has numbering) of a python-docx Paragraph."""
    style = paragraph.style.name if paragraph.style is not None else ""
    ppr = paragraph._p.pPr
    has_num = ppr is not None and ppr.numPr is not None
    return paragraph.text, style or "", has_num


def docx_document(path: Path) -> Document:
    """Read a .docx: Title style → title, Heading N → level N, list paragraphs → numbered."""
    import docx
    from docx.table import Table

    name = str(path)
    _read_bytes(path)  # same missing/directory/permission errors as for text
    if not zipfile.is_zipfile(path):
        raise ManuscriptError(
            f"{name} is not a valid .docx (not a zip archive): open and re-save it in Word"
        )
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises many kinds for a broken package
        raise ManuscriptError(
            f"{name} is not a valid .docx ({type(exc).__name__}): open and re-save it in Word"
        ) from None

    paragraphs: list[Paragraph] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            # Table text is still manuscript text; read it cell by cell in reading order.
            for row in item.rows:
                for cell in row.cells:
                    paragraphs.extend(cell.paragraphs)
        else:
            paragraphs.append(item)

    title: str | None = None
    blocks: list[Block] = []
    for paragraph in paragraphs:
        raw, style, has_num = _docx_paragraph_block(paragraph)
        lines = [line for line in normalize_text(raw).split("\n") if line]
        if not lines:
            continue
        style_key = style.strip().lower()
        heading = _DOCX_HEADING_STYLE.match(style_key)
        if style_key in _DOCX_TITLE_STYLES and title is None and not blocks:
            title = " ".join(lines)
        elif heading:
            blocks.append(Block(" ".join(lines), heading_level=int(heading.group(1))))
        else:
            numbered = has_num or style_key.startswith("list")
            # Soft line breaks inside a paragraph split it like lines of a text file.
            blocks.append(Block(lines[0], numbered=numbered))
            blocks.extend(Block(line) for line in lines[1:])
    return Document(blocks=tuple(blocks), title=title, source=name)


# --------------------------------------------------------------------------- dispatch


def load_document(path: Path) -> Document:
    """Read any supported manuscript: .docx, .md/.markdown, everything else as plain text."""
    suffix = path.suffix.lower()
    if suffix == DOCX_SUFFIX:
        document = docx_document(path)
    elif suffix in MARKDOWN_SUFFIXES:
        document = markdown_document(read_text(path), source=str(path))
    else:
        document = text_document(read_text(path), source=str(path))
    if not document.blocks and document.title is None:
        raise ManuscriptError(f"{path} contains no text: put the manuscript text into it")
    log.debug("%s: %d blocks, title %r", path, len(document.blocks), document.title)
    return document
