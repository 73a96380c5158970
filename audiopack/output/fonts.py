"""Finding a font that draws Chinese for the generated cover.

The system's fonts are searched first (well-known files, fontconfig, the font folders); when
none draws Chinese, the font shipped in ``audiopack/data`` is used: a subset of Noto Sans CJK SC
Bold (SIL Open Font License 1.1, made by ``tools/make_cover_font.py``) holding GB 2312's
characters and the rest of the repository's real texts. A character no font has is left out of
the cover rather than drawn as a box (:func:`has_glyph`).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import ImageFont

log = logging.getLogger(__name__)

__all__ = ["BUNDLED_FONT", "find_cjk_font", "has_glyph", "notdef_bitmap", "open_font"]

_DATA_DIR = Path(__file__).resolve().parents[1] / "data"
#: The font shipped with audiopack, used when the system has none that draws Chinese.
BUNDLED_FONT = _DATA_DIR / "NotoSansSC-Bold-subset.otf"
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


def system_fonts() -> Iterator[Path]:
    """The system's font files that may hold Chinese glyphs, most likely first."""
    # 1. well-known files
    for name in _KNOWN_FONTS:
        yield Path(name)
    # 2. fontconfig's own answer (Linux, BSD, some macOS setups)
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
    # 3. font folders, by file name
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


def notdef_bitmap(font: Any) -> bytes:
    """How the font draws a character it lacks (a private-use code point)."""
    return _bitmap(font, "\U0010fffd")


def has_glyph(font: Any, ch: str, notdef: bytes | None = None) -> bool:
    """Whether ``font`` draws ``ch`` as itself rather than as a missing-glyph box."""
    if ch.isspace():
        return True
    try:
        pixels = _bitmap(font, ch)
        if notdef is None:
            notdef = notdef_bitmap(font)
    except (OSError, ValueError, UnicodeError):
        return False
    return pixels != notdef and any(pixels)


def open_font(path: Path, size: int) -> ImageFont.FreeTypeFont | None:
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
    """A font file on this machine that draws Chinese (the bundled one when the system has
    none), or None."""
    seen: set[Path] = set()
    for path in [*system_fonts(), BUNDLED_FONT]:
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        try:
            font = open_font(path, 48)
        except Exception:  # a broken font file must not stop the search
            continue
        if font is not None and all(has_glyph(font, ch) for ch in "中文讲话"):
            log.debug("cover font: %s", path)
            return path
    log.warning(
        "no font with Chinese glyphs found (%s is missing); covers get no Chinese text",
        BUNDLED_FONT.name,
    )
    return None
