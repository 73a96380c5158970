"""Make audiopack/data/NotoSansSC-Bold-subset.otf, the font covers fall back to when the system
has no Chinese font (pip-only installs, most containers). Run by a developer, not at run time.

Source: Noto Sans CJK SC Bold (SIL Open Font License 1.1) from Debian's ``fonts-noto-cjk``
(``apt-get install fonts-noto-cjk``, or ``apt-get download`` and ``dpkg-deb -x``). Kept: every
character of GB 2312 (the 6,763 common Han characters, punctuation, Latin), the CJK and
full-width punctuation blocks, and every other Han character in the real texts the repository
holds (manuscripts, test corpus, lexicon). No OpenType layout or hinting: Pillow sets a cover's
title glyph by glyph. The licence goes beside it as OFL-NotoSansCJK.txt.

    python tools/make_cover_font.py [/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc]
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "audiopack" / "data" / "NotoSansSC-Bold-subset.otf"
DEFAULT_SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
TEXTS = ("script/*.txt", "tests/corpus/*.txt", "tests/corpus/*.md", "audiopack/data/lexicon.txt")


def gb2312() -> set[str]:
    chars = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(bytes([high, low]).decode("gb2312"))
    return chars


def repository_han() -> set[str]:
    chars: set[str] = set()
    for pattern in TEXTS:
        for path in ROOT.glob(pattern):
            text = path.read_bytes().decode("utf-8", "ignore")
            chars.update(
                ch for ch in text if 0x4E00 <= ord(ch) <= 0x9FFF or 0x3400 <= ord(ch) <= 0x4DBF
            )
    return chars


def wanted() -> set[str]:
    ranges = [(0x20, 0x7F), (0xA0, 0x100), (0x2000, 0x2070), (0x3000, 0x3040), (0xFF00, 0xFFF0)]
    chars = {chr(c) for start, end in ranges for c in range(start, end)}
    return chars | gb2312() | repository_han()


def main(source: str) -> None:
    collection = TTCollection(source)
    (font,) = [f for f in collection.fonts if f["name"].getDebugName(4) == "Noto Sans CJK SC Bold"]
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["vhea", "vmtx", "VORG", "GSUB", "GPOS", "GDEF", "BASE"]
    subsetter = subset.Subsetter(options)
    chars = wanted()
    subsetter.populate(unicodes=[ord(ch) for ch in chars])
    subsetter.subset(font)
    font.recalcTimestamp = False  # the same source gives the same file
    font.save(TARGET)
    print(
        f"{TARGET.relative_to(ROOT)}: {len(chars)} characters asked, "
        f"{len(font.getBestCmap())} mapped, {TARGET.stat().st_size} bytes"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOURCE)
