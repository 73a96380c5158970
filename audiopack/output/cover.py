"""Cover art: a generated cover (title set on a plain background) or the user's --cover image.

The generated cover is set in a font that draws Chinese: the system's, else the one shipped
with audiopack (:func:`audiopack.output.fonts.find_cjk_font`). No glyph that would show as a
tofu box is drawn; without any such font (a broken install) an ASCII title is set in Pillow's
built-in font and anything else gives a decorative cover without text.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiopack.errors import ConfigError
from audiopack.output.fonts import find_cjk_font, has_glyph, notdef_bitmap, open_font
from audiopack.output.tags import clean_text

if TYPE_CHECKING:
    from PIL import Image, ImageDraw

log = logging.getLogger(__name__)

#: Longest side of a cover image, in pixels (user covers are scaled down to it).
MAX_COVER_PX = 1400
JPEG_QUALITY = 90
LINE_SPACING = 1.3
MAX_TITLE_CHARS = 160

BACKGROUND = (128, 24, 24)  # deep red
INK = (250, 236, 200)  # warm cream
ACCENT = (214, 175, 96)  # muted gold

_CLOSING = set("，。、；：！？）」』》〉】”’,.;:!?)]%…·")
_OPENING = set("（「『《〈【“‘([")


def _tokens(text: str) -> list[str]:
    """Line-break units: a Latin word or number stays whole, CJK breaks anywhere, and
    closing punctuation sticks to what it follows."""
    raw = re.findall(r"[A-Za-z0-9][A-Za-z0-9'’.\-]*|\s+|.", text)
    tokens: list[str] = []
    for tok in raw:
        closing = tok in _CLOSING
        after_opening = bool(tokens) and tokens[-1][-1:] in _OPENING
        if tokens and (closing or after_opening):
            tokens[-1] += tok
        else:
            tokens.append(tok)
    return tokens


def wrap_text(text: str, font: Any, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` as measured with ``font``."""
    lines: list[str] = []
    line = ""
    for tok in _tokens(text):
        if tok.isspace():
            if line:
                line += " "
            continue
        candidate = line + tok
        if font.getlength(candidate.rstrip()) <= width:
            line = candidate
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = tok
        # a single token wider than the line (a long word): cut it by characters
        while len(line) > 1 and font.getlength(line) > width:
            low, high = 1, len(line) - 1  # longest prefix that fits (at least 1 character)
            while low < high:
                mid = (low + high + 1) // 2
                if font.getlength(line[:mid]) <= width:
                    low = mid
                else:
                    high = mid - 1
            lines.append(line[:low])
            line = line[low:]
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _ellipsize(line: str, font: Any, width: float) -> str:
    while line and font.getlength(line + "…") > width:
        line = line[:-1]
    return line.rstrip() + "…"


def _balance(text: str, font: Any, width: float, lines: list[str]) -> list[str]:
    """The same number of lines, as even as can be (no lone last character)."""
    if len(lines) < 2:
        return lines
    low, high = width * 0.4, width
    for _ in range(10):
        mid = (low + high) / 2
        if len(wrap_text(text, font, mid)) <= len(lines):
            high = mid
        else:
            low = mid
    return wrap_text(text, font, high)


def _fit(
    text: str, make_font: Any, width: float, sizes: range, max_lines: int, max_height: float
) -> tuple[Any, list[str], float]:
    """The largest font size (from ``sizes``) at which ``text`` fits in ``max_lines`` lines
    and ``max_height`` px; at the smallest size the text is cut with an ellipsis.
    Returns the font, the lines and the line pitch."""
    font: Any = None
    lines: list[str] = []
    pitch = 0.0
    for size in sizes:
        font = make_font(size)
        pitch = _line_height(font, size) * LINE_SPACING
        lines = wrap_text(text, font, width)
        if len(lines) <= max_lines and len(lines) * pitch <= max_height:
            return font, _balance(text, font, width, lines), pitch
    keep = max(1, min(max_lines, int(max_height // pitch) if pitch else 1))
    if len(lines) > keep:
        lines = [*lines[: keep - 1], _ellipsize(lines[keep - 1], font, width)]
    return font, lines, pitch


def _keep_drawable(text: str, font: Any, ascii_only: bool) -> str:
    if ascii_only:
        return "".join(ch if 0x20 <= ord(ch) < 0x7F else " " for ch in text)
    notdef = notdef_bitmap(font)
    known: dict[str, bool] = {}
    for ch in set(text):
        known[ch] = has_glyph(font, ch, notdef)
    return "".join(ch if known[ch] else " " for ch in text)


def _draw_lines(
    draw: ImageDraw.ImageDraw,
    lines: list[str],
    font: Any,
    centre_x: float,
    top: float,
    line_height: float,
    fill: tuple[int, int, int],
) -> None:
    for i, line in enumerate(lines):
        draw.text(
            (centre_x, top + (i + 0.5) * line_height), line, font=font, fill=fill, anchor="mm"
        )


def _decorate(draw: ImageDraw.ImageDraw, size: int) -> None:
    """The frame every cover has: an inset double rule in the accent colour."""
    for inset, width in ((0.045, 0.006), (0.062, 0.002)):
        m = round(size * inset)
        draw.rectangle(
            (m, m, size - 1 - m, size - 1 - m), outline=ACCENT, width=max(1, round(size * width))
        )


def _decorative_only(draw: ImageDraw.ImageDraw, size: int) -> None:
    """A text-free centre piece: a ring with a short rule, for titles that cannot be set."""
    c = size / 2
    r = size * 0.16
    w = max(1, round(size * 0.008))
    draw.ellipse((c - r, c - r, c + r, c + r), outline=ACCENT, width=w)
    draw.ellipse((c - r * 0.55, c - r * 0.55, c + r * 0.55, c + r * 0.55), fill=ACCENT)
    draw.line((size * 0.3, c + r * 1.6, size * 0.7, c + r * 1.6), fill=ACCENT, width=w)


def _font_maker(path: Path | None) -> tuple[Any, bool]:
    """A ``size -> font`` function and whether it draws ASCII only (the built-in font)."""
    from PIL import ImageFont

    if path is not None:
        cache: dict[int, Any] = {}

        def cjk(size: int) -> Any:
            if size not in cache:
                cache[size] = open_font(path, size)
            return cache[size]

        return cjk, False

    def builtin(size: int) -> Any:
        try:
            return ImageFont.load_default(size=size)
        except (TypeError, OSError, ImportError):  # Pillow without FreeType: fixed bitmap font
            return ImageFont.load_default()

    return builtin, True


def _render(title: str, subtitle: str | None, size: int, font_path: Path | None) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), BACKGROUND)
    draw = ImageDraw.Draw(image)
    _decorate(draw, size)

    make_font, ascii_only = _font_maker(font_path)
    probe = make_font(max(8, size // 20))
    title = " ".join(_keep_drawable(clean_text(title), probe, ascii_only).split())
    subtitle = " ".join(_keep_drawable(clean_text(subtitle or ""), probe, ascii_only).split())
    if ascii_only and not re.search(r"[A-Za-z0-9]", title):
        title = ""  # nothing readable survives: no text at all rather than stray symbols
        subtitle = subtitle if re.search(r"[A-Za-z0-9]", subtitle) else ""

    # more than fits six lines at the smallest size anyway: measure less
    title = title if len(title) <= MAX_TITLE_CHARS else title[:MAX_TITLE_CHARS] + "…"
    subtitle = subtitle if len(subtitle) <= MAX_TITLE_CHARS else subtitle[:MAX_TITLE_CHARS] + "…"
    if not title:
        _decorative_only(draw, size)
        return _to_jpeg(image)

    text_width = size * 0.76
    step = -max(1, size // 200)
    title_font, title_lines, title_lh = _fit(
        title,
        make_font,
        text_width,
        range(round(size * 0.105), round(size * 0.045), step),
        max_lines=6,
        max_height=size * 0.5,
    )
    sub_lines: list[str] = []
    sub_font: Any = None
    sub_lh = 0.0
    if subtitle:
        sub_font, sub_lines, sub_lh = _fit(
            subtitle,
            make_font,
            text_width,
            range(round(size * 0.045), round(size * 0.03), step),
            max_lines=2,
            max_height=size * 0.15,
        )

    gap = size * 0.05
    rule_h = max(1, round(size * 0.003))
    block = len(title_lines) * title_lh + gap + rule_h + (gap + len(sub_lines) * sub_lh)
    top = max(size * 0.1, (size - block) / 2 - size * 0.03)
    centre = size / 2
    _draw_lines(draw, title_lines, title_font, centre, top, title_lh, INK)
    y = top + len(title_lines) * title_lh + gap
    draw.rectangle((size * 0.38, y, size * 0.62, y + rule_h - 1), fill=ACCENT)
    if sub_lines:
        _draw_lines(draw, sub_lines, sub_font, centre, y + rule_h + gap * 0.8, sub_lh, ACCENT)
    return _to_jpeg(image)


def _line_height(font: Any, fallback: float) -> float:
    """Ascent plus descent of ``font`` (``fallback`` if it cannot tell)."""
    try:
        ascent, descent = font.getmetrics()
        return float(max(ascent + descent, 1))
    except (AttributeError, OSError, ValueError):
        return float(fallback)


def _to_jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True)  # baseline: car stereos
    return buf.getvalue()


def make_cover(title: str, subtitle: str | None = None, size: int = 1000) -> bytes:
    """A square JPEG cover of ``size`` px: ``title`` centred and wrapped, a thin rule, and
    ``subtitle`` smaller below, cream and gold on deep red. Never raises on odd titles."""
    size = max(64, min(int(size), 4000))
    font_path = find_cjk_font()
    try:
        return _render(title, subtitle, size, font_path)
    except Exception as e:  # a font that misbehaves on some text must not stop the pack
        log.debug("cover with text failed (%s); using the plain cover", e)
        return _render("", None, size, None)


def load_cover(path: Path) -> bytes:
    """The user's ``--cover`` image as an RGB JPEG at most MAX_COVER_PX on its longer side."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened) or opened
            if image.mode in ("RGBA", "LA", "PA") or (
                image.mode == "P" and "transparency" in image.info
            ):
                rgba = image.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                image = flat
            else:
                image = image.convert("RGB")
            image.thumbnail((MAX_COVER_PX, MAX_COVER_PX), Image.Resampling.LANCZOS)
            return _to_jpeg(image)
    except FileNotFoundError as e:
        raise ConfigError(f"--cover {path}: no such file") from e
    except (UnidentifiedImageError, Image.DecompressionBombError, SyntaxError, ValueError) as e:
        raise ConfigError(f"--cover {path} is not an image: {e}") from e
    except OSError as e:
        raise ConfigError(f"--cover {path} cannot be read as an image: {e}") from e
