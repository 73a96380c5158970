"""Generated covers (with and without a Chinese font) and user-supplied cover images."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

import audiopack.output.cover as cover
import audiopack.output.fonts as fonts
from audiopack.errors import ConfigError
from audiopack.output.cover import find_cjk_font, load_cover, make_cover, wrap_text

TITLE = "在全面从严治党专题会议上的讲话"
ODD_TITLES = [
    "",
    "   ",
    "😀😀😀",
    "标题😀含表情",
    "a\x00b\x07c\x1b[31m",
    "\ud800半个代理对",
    "长" * 200,
    "Supercalifragilisticexpialidocious" * 6,
    "（一）、，。",
    "\n\n\t",
]


def _open(data: bytes) -> Image.Image:
    assert data[:2] == b"\xff\xd8"
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "JPEG"
    return image


def _text_area(image: Image.Image) -> np.ndarray:
    """Grey levels of the middle of the cover, inside the frame, where the title goes."""
    w, h = image.size
    return np.asarray(image.convert("L"))[
        int(h * 0.12) : int(h * 0.88), int(w * 0.1) : int(w * 0.9)
    ]


@pytest.fixture
def no_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cover, "find_cjk_font", lambda: None)


def test_cover_is_square_jpeg() -> None:
    image = _open(make_cover(TITLE, "某某同志 · 2024年3月"))
    assert image.size == (1000, 1000) and image.mode == "RGB"
    assert _open(make_cover(TITLE, size=600)).size == (600, 600)


@pytest.fixture
def no_system_fonts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine without system fonts (a pip-only install, a container): the lookup sees none."""
    monkeypatch.setattr(fonts, "system_fonts", lambda: iter(()))
    fonts.find_cjk_font.cache_clear()
    yield
    fonts.find_cjk_font.cache_clear()


def test_chinese_title_is_drawn() -> None:
    with_text = _text_area(_open(make_cover(TITLE, "学习音频包")))
    blank = _text_area(_open(make_cover("")))
    assert with_text.std() > 10
    # many pixels differ from the text-free cover: the title is really there
    assert (np.abs(with_text.astype(int) - blank.astype(int)) > 60).mean() > 0.02


def test_without_font_no_tofu(no_font: None) -> None:
    chinese = make_cover(TITLE, "学习音频包")
    _open(chinese)
    # nothing of a Chinese title can be drawn: the same text-free cover as an empty title
    assert chinese == make_cover("")


def test_without_font_ascii_title_is_drawn(no_font: None) -> None:
    ascii_cover = _text_area(_open(make_cover("Study Pack 2024", "Audio")))
    blank = _text_area(_open(make_cover("")))
    assert (np.abs(ascii_cover.astype(int) - blank.astype(int)) > 60).mean() > 0.01


@pytest.mark.parametrize("title", ODD_TITLES)
def test_odd_titles_never_raise(title: str) -> None:
    for size in (64, 333, 1000):
        assert _open(make_cover(title, title, size=size)).size == (size, size)


@pytest.mark.parametrize("title", ODD_TITLES)
def test_odd_titles_without_font(no_font: None, title: str) -> None:
    assert _open(make_cover(title, title)).size == (1000, 1000)


def test_find_cjk_font_gives_a_file_or_none() -> None:
    found = find_cjk_font()
    assert found is None or found.is_file()


class _Mono:
    """A font stand-in where every character is 10 px wide."""

    def getlength(self, text: str) -> float:
        return 10.0 * len(text)


def test_wrap_cjk_anywhere_latin_by_word() -> None:
    font = _Mono()
    assert wrap_text("一二三四五六七", font, 30) == ["一二三", "四五六", "七"]
    assert wrap_text("ab cd efgh", font, 50) == ["ab cd", "efgh"]
    # closing punctuation stays with the character before it, never starts a line
    lines = wrap_text("一二三，四五", font, 30)
    assert not any(line[0] in "，。" for line in lines)
    # a word wider than the line is cut rather than overflowing
    assert all(len(line) <= 3 for line in wrap_text("abcdefgh", font, 30))


def _save(image: Image.Image, path: Path, fmt: str) -> Path:
    image.save(path, fmt)
    return path


def test_load_cover_png_becomes_jpeg(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (2000, 1000), (0, 128, 255, 128))
    data = load_cover(_save(rgba, tmp_path / "c.png", "PNG"))
    image = _open(data)
    assert image.mode == "RGB" and image.size == (1400, 700)


def test_load_cover_small_jpeg_kept_in_size(tmp_path: Path) -> None:
    path = _save(Image.new("RGB", (300, 400), (9, 9, 9)), tmp_path / "c.jpg", "JPEG")
    assert _open(load_cover(path)).size == (300, 400)


def test_load_cover_palette_and_grey(tmp_path: Path) -> None:
    p = Image.new("P", (50, 50))
    assert _open(load_cover(_save(p, tmp_path / "p.gif", "GIF"))).mode == "RGB"
    grey = Image.new("L", (50, 50), 128)
    assert _open(load_cover(_save(grey, tmp_path / "g.bmp", "BMP"))).mode == "RGB"


def test_load_cover_text_file_is_config_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("这不是图片", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not an image"):
        load_cover(path)


def test_load_cover_missing_or_truncated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_cover(tmp_path / "missing.png")
    good = _save(Image.new("RGB", (200, 200), (1, 2, 3)), tmp_path / "t.png", "PNG")
    truncated = tmp_path / "trunc.png"
    truncated.write_bytes(good.read_bytes()[:60])
    with pytest.raises(ConfigError):
        load_cover(truncated)
    with pytest.raises(ConfigError):
        load_cover(tmp_path)  # a folder


#: Titles of the real published texts in the test corpus (tests/corpus/SOURCES.md).
REAL_TITLES = sorted(
    {
        json.loads(path.read_text(encoding="utf-8"))["title"]
        for path in (Path(__file__).parent / "corpus").glob("*.golden.json")
    }
)


def _glyph(font: ImageFont.FreeTypeFont, ch: str) -> np.ndarray:
    """The pixels ``font`` draws for ``ch`` on a 128 px square."""
    image = Image.new("L", (128, 128))
    ImageDraw.Draw(image).text((32, 32), ch, font=font, fill=255)
    return np.asarray(image)


def _title_area_with(title: str) -> np.ndarray:
    return _text_area(_open(make_cover(title)))


def test_real_titles_are_there() -> None:
    assert len(REAL_TITLES) >= 5


@pytest.mark.parametrize("title", REAL_TITLES)
def test_title_drawn_without_system_fonts(no_system_fonts: None, title: str) -> None:
    """The shipped font sets every character of the title: each has a glyph of its own in the
    font (not the missing-glyph box), and the cover differs from one whose title is all boxes."""
    from fontTools.ttLib import TTFont

    assert find_cjk_font() == fonts.BUNDLED_FONT
    cmap = TTFont(fonts.BUNDLED_FONT).getBestCmap()
    assert [ch for ch in title if ord(ch) not in cmap] == []
    pil_font = ImageFont.truetype(str(fonts.BUNDLED_FONT), 64)
    box = _glyph(pil_font, "\U0010fffd")
    for ch in {ch for ch in title if not ch.isspace()}:
        pixels = _glyph(pil_font, ch)
        assert pixels.any() and not np.array_equal(pixels, box), ch
        assert fonts.has_glyph(pil_font, ch)
    drawn = _title_area_with(title)
    blank = _text_area(_open(make_cover("")))
    boxes = _title_area_with("\U0010fffd" * len(title))  # left out, never drawn as boxes
    assert (np.abs(drawn.astype(int) - blank.astype(int)) > 60).mean() > 0.02
    assert (np.abs(drawn.astype(int) - boxes.astype(int)) > 60).mean() > 0.02
    assert (
        np.array_equal(boxes, blank)
        or (np.abs(boxes.astype(int) - blank.astype(int)) > 60).mean() < 0.005
    )


def test_shipped_font_is_small_and_licensed() -> None:
    assert fonts.BUNDLED_FONT.stat().st_size < 2_000_000
    licence = fonts.BUNDLED_FONT.with_name("OFL-NotoSansCJK.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence


def test_shipped_font_covers_gb2312(no_system_fonts: None) -> None:
    from fontTools.ttLib import TTFont

    cmap = TTFont(fonts.BUNDLED_FONT).getBestCmap()
    missing = []
    for high in range(0xB0, 0xF8):  # the Han characters of GB 2312
        for low in range(0xA1, 0xFF):
            try:
                ch = bytes([high, low]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            if ord(ch) not in cmap:
                missing.append(ch)
    assert missing == []
