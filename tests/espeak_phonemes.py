"""What eSpeak NG says, as its own phonemes, decoded back to toned pinyin.

``spoken`` synthesises text exactly as the engine does (phoneme input on) with eSpeak NG's
phoneme trace writing to memory (``open_memstream``, POSIX), so the phonemes are those of the
audio, not of a separate text-to-phoneme pass. ``decode`` turns each syllable of that trace
into pinyin: the segments against a table of eSpeak's own phonemes for every pinyin syllable,
the tone from the pitch digits it writes (55, 35, 214 or 21, 51; anything else is neutral).
"""

from __future__ import annotations

import ctypes
import re
from functools import lru_cache
from typing import Any

from audiopack.engines.espeak import _Library
from audiopack.engines.espeak_input import spell

_TRACE_MNEMONICS = 1
_PARAM_RATE = 1
_FAST_WPM = 450  # less audio to make; the phonemes do not depend on the rate


def _libc() -> Any:
    libc = ctypes.CDLL(None)
    libc.open_memstream.restype = ctypes.c_void_p
    libc.open_memstream.argtypes = [
        ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_size_t)
    ]  # fmt: skip
    libc.fflush.argtypes = [ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    libc.free.argtypes = [ctypes.c_void_p]
    return libc


def spoken(text: str) -> str:
    """eSpeak NG's phoneme mnemonics of ``text`` as it synthesises it."""
    library = _Library.get()
    lib = library.lib
    lib.espeak_SetPhonemeTrace.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc = _libc()
    buffer, size = ctypes.c_char_p(), ctypes.c_size_t()
    with _Library._lock:
        stream = libc.open_memstream(ctypes.byref(buffer), ctypes.byref(size))
        lib.espeak_SetPhonemeTrace(_TRACE_MNEMONICS, stream)
        lib.espeak_SetParameter(_PARAM_RATE, _FAST_WPM, 0)
        try:
            library.speak(text, phonemes=True)
        finally:
            lib.espeak_SetPhonemeTrace(0, None)
            libc.fclose(stream)
    try:
        return ctypes.string_at(buffer, size.value).decode("utf-8", "replace")
    finally:
        libc.free(ctypes.cast(buffer, ctypes.c_void_p))


def units(phonemes: str) -> list[str]:
    """The syllables (words) of a phoneme trace."""
    pieces = re.split(r"[\s|]+", phonemes.replace("_", " "))
    return [u for u in pieces if re.search(r"[A-Za-z@]", u)]  # pauses (:) are no syllables


#: eSpeak's pitch digits by tone; 21 is its half-third tone, 53 its half-fourth.
_TONE_DIGITS = {"55": "1", "35": "2", "214": "3", "21": "3", "51": "4", "53": "4"}


def _split(unit: str) -> tuple[str, str]:
    """(segments, tone) of one eSpeak syllable: ts.'A214N -> (ts.AN, 3)."""
    digits = "".join(re.findall(r"\d", unit))
    segments = re.sub(r"[\d',]", "", unit)
    return segments, _TONE_DIGITS.get(digits, "5")


@lru_cache(maxsize=1)
def _syllables_by_segments() -> dict[str, str]:
    """eSpeak's segments of every pinyin syllable (spoken alone, tone 1) -> the syllable."""
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.contrib.tone_convert import to_normal

    bases = {
        to_normal(reading, v_to_u=False)
        for readings in PINYIN_DICT.values()
        for reading in readings.split(",")
    }
    bases = {b for b in bases if re.fullmatch(r"[a-z]+", b)}
    text = " ， ".join(spell(base + "1") for base in sorted(bases))
    found = [u for u in units(spoken(text)) if u]
    table: dict[str, str] = {}
    for base, unit in zip(sorted(bases), found, strict=True):
        table.setdefault(_split(unit)[0], base)
    return table


def decode(phonemes: str) -> list[str | None]:
    """Each syllable of a trace as toned pinyin, None where it is no Mandarin syllable."""
    table = _syllables_by_segments()
    result: list[str | None] = []
    for unit in units(phonemes):
        if "(en)" in unit or "(cmn)" in unit:
            result.append(None)
            continue
        segments, tone = _split(unit)
        base = table.get(segments)
        result.append(None if base is None else base + tone)
    return result
