"""Cover art: a generated cover (title set on a plain background) or the user's --cover image.

The generated cover needs a font with Chinese glyphs. None ships with audiopack; the
system's fonts are searched (:func:`find_cjk_font`). Without one, no glyph that would show
as a tofu box is drawn: an ASCII title is set in Pillow's built-in font, anything else
gives a decorative cover without text.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiopack.errors import ConfigError
from audiopack.tags import clean_text

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

#: Longest side of a cover image, in pixels (user covers are scaled down to it).
MAX_COVER_PX = 1400
JPEG_QUALITY = 90
LINE_SPACING = 1.3
MAX_TITLE_CHARS = 160

BACKGROUND = (128, 24, 24)  # deep red
INK = (250, 236, 200)  # warm cream
ACCENT = (214, 175, 96)  # muted gold

_DATA_DIR = Path(__file__).resolve().parent / "data"
_FONT_SUFFIXES = (".ttf", ".ttc", ".otf", ".otc")

#: Well-known CJK font files, best first.
_KNOWN_FONTS = (
    # Linux (Debian/Ubuntu, Fedora, Arch)
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/source-han-sans/SourceHanSansSC-Bold.otf",
    "/usr/share/fonts/adobe-source-han-sans/SourceHanSansSC-Bold.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    # macOS
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    # Windows
    r"C:\Windows\Fonts\msyhbd.ttc",
    r"C:\Windows\Fonts\msyh.ttc",
    r"C:\Windows\Fonts\simhei.ttf",
    r"C:\Windows\Fonts\Deng.ttf",
    r"C:\Windows\Fonts\simsun.ttc",
)

#: File names (lower case) that mark a CJK font when the font folders are searched.
_CJK_NAME = re.compile(
    r"cjk|sourcehan|source-han|wqy|droidsansfallback|uming|ukai|pingfang|heiti|hiragino"
    r"|msyh|msjh|simhei|simsun|simkai|deng|notosanssc|notoserifsc|sarasa|lxgw|zcool"
)


def _font_dirs() -> list[Path]:
    home = Path.home()
    dirs = [
        _DATA_DIR,
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        home / ".local/share/fonts",
        home / ".fonts",
        Path("/Library/Fonts"),
        Path("/System/Library/Fonts"),
        home / "Library/Fonts",
    ]
    windir = os.environ.get("WINDIR")
    if windir:
        dirs.append(Path(windir) / "Fonts")
    local = os.environ.get("LOCALAPPDATA")
    if local:
        dirs.append(Path(local) / "Microsoft/Windows/Fonts")
    return dirs


def _candidates() -> Iterator[Path]:
    """Font files that may hold Chinese glyphs, most likely first."""
    # 1. a font shipped in audiopack/data (none today; the first place to put one)
    if _DATA_DIR.is_dir():
        yield from sorted(p for p in _DATA_DIR.iterdir() if p.suffix.lower() in _FONT_SUFFIXES)
    # 2. well-known files
    for name in _KNOWN_FONTS:
        yield Path(name)
    # 3. fontconfig's own answer (Linux, BSD, some macOS setups)
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            out = subprocess.run(
                [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=10
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        for line in sorted(out.splitlines()):
            path = line.strip().rstrip(":").strip()
            if path:
                yield Path(path)
    # 4. font folders, by file name
    for folder in _font_dirs():
        if not folder.is_dir():
            continue
        try:
            for root, _dirs, files in os.walk(folder):
                for file in sorted(files):
                    lower = file.lower()
                    if lower.endswith(_FONT_SUFFIXES) and _CJK_NAME.search(lower):
                        yield Path(root) / file
        except OSError:
            continue


def _bitmap(font: Any, ch: str) -> bytes:
    """The pixels ``font`` draws for ``ch``."""
    from PIL import Image, ImageDraw

    _left, _top, right, bottom = font.getbbox(ch)
    image = Image.new("L", (max(1, int(right)) + 2, max(1, int(bottom)) + 2))
    ImageDraw.Draw(image).text((0, 0), ch, font=font, fill=255)
    return image.tobytes()


def _notdef_bitmap(font: Any) -> bytes:
    """How the font draws a character it lacks (a private-use code point)."""
    return _bitmap(font, "\U0010fffd")


def has_glyph(font: Any, ch: str, notdef: bytes | None = None) -> bool:
    """Whether ``font`` draws ``ch`` as itself rather than as a missing-glyph box."""
    if ch.isspace():
        return True
    try:
        pixels = _bitmap(font, ch)
        if notdef is None:
            notdef = _notdef_bitmap(font)
    except (OSError, ValueError, UnicodeError):
        return False
    return pixels != notdef and any(pixels)


def _open_font(path: Path, size: int) -> ImageFont.FreeTypeFont | None:
    """The face of ``path`` for Simplified Chinese (a .ttc may hold JP/KR/SC/TC faces)."""
    from PIL import ImageFont

    faces: list[ImageFont.FreeTypeFont] = []
    for index in range(12):
        try:
            faces.append(ImageFont.truetype(str(path), size, index=index))
        except (OSError, ValueError):
            break
        if path.suffix.lower() not in (".ttc", ".otc"):
            break
    for face in faces:
        family = " ".join(str(n) for n in face.getname() if n)
        if re.search(r"\bSC\b|GB|Hans|Simplified|Micro Hei|Zen Hei", family):
            return face
    return faces[0] if faces else None


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> Path | None:
    """A font file on this machine that draws Chinese, or None."""
    seen: set[Path] = set()
    for path in _candidates():
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        try:
            font = _open_font(path, 48)
        except Exception:  # a broken font file must not stop the search
            continue
        if font is not None and all(has_glyph(font, ch) for ch in "中文讲话"):
            log.debug("cover font: %s", path)
            return path
    log.debug("no font with Chinese glyphs found; covers get no Chinese text")
    return None


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
    notdef = _notdef_bitmap(font)
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
                cache[size] = _open_font(path, size)
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
