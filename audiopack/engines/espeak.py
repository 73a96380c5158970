"""The offline engine: eSpeak NG's Mandarin voice from the espeakng-loader wheel, via ctypes.

libespeak-ng keeps global state and is not thread-safe, so every call runs on one dedicated
worker thread. Each sentence is synthesised by its own ``espeak_Synth`` call, which gives exact
sentence boundaries without relying on event positions.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from audiopack.engines.espeak_input import SPELLING_VERSION, needs_phoneme_input, to_espeak
from audiopack.errors import EngineUnavailableError, SynthesisError
from audiopack.model import SegmentAudio, SentenceTiming

log = logging.getLogger(__name__)

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
#: espeak_Synth flag: text within [[ ]] is phoneme mnemonics.
_PHONEMES = 0x100
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH = 1, 2, 3
_DEFAULT_WPM = 175
_DEFAULT_PITCH = 50


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_void_p),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


def _percent(value: str) -> float:
    match = re.fullmatch(r"([+-]\d+)%", value)
    return int(match.group(1)) / 100 if match else 0.0


def _hertz(value: str) -> int:
    match = re.fullmatch(r"([+-]\d+)Hz", value)
    return int(match.group(1)) if match else 0


class _Library:
    """The loaded libespeak-ng, initialised once per process."""

    _instance: _Library | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as e:  # pragma: no cover - it is a dependency
            raise EngineUnavailableError(
                "the offline engine needs the espeakng-loader package: pip install espeakng-loader"
            ) from e
        try:
            self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data_path = espeakng_loader.get_data_path().encode()
        except (OSError, RuntimeError) as e:
            raise EngineUnavailableError(f"cannot load libespeak-ng: {e}") from e
        lib = self.lib
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p,
        ]  # fmt: skip
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int
        ]  # fmt: skip
        lib.espeak_Info.restype = ctypes.c_char_p
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        # A one-second buffer: fewer callbacks into Python, each of which takes the GIL from
        # the threads encoding pieces meanwhile.
        self.sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 1000, data_path, 0)
        if self.sample_rate <= 0:
            raise EngineUnavailableError("libespeak-ng failed to initialise its data")
        self.version = (lib.espeak_Info(None) or b"?").decode()
        self._chunks: list[bytes] = []
        self._phonemes: dict[str, str] = {}
        self._callback = _CALLBACK(self._collect)
        lib.espeak_SetSynthCallback(self._callback)
        if lib.espeak_SetVoiceByName(b"cmn") != 0:
            raise EngineUnavailableError("eSpeak NG has no Mandarin voice 'cmn' in its data")

    @classmethod
    def get(cls) -> _Library:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _collect(self, wav: Any, count: int, _events: Any) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0

    def set_prosody(self, rate: str, volume: str, pitch: str) -> None:
        lib = self.lib
        lib.espeak_SetParameter(_PARAM_RATE, round(_DEFAULT_WPM * (1 + _percent(rate))), 0)
        lib.espeak_SetParameter(_PARAM_VOLUME, max(0, round(100 * (1 + _percent(volume)))), 0)
        lib.espeak_SetParameter(
            _PARAM_PITCH, min(99, max(0, _DEFAULT_PITCH + _hertz(pitch) // 2)), 0
        )

    def phonemes_of(self, syllable: str) -> str:
        """eSpeak NG's phoneme mnemonics of one word (``zhang3`` -> ``ts.'A214N``); the caller
        holds the lock."""
        found = self._phonemes.get(syllable)
        if found is None:
            pointer = ctypes.pointer(ctypes.c_char_p(syllable.encode("utf-8") + b"\0"))
            found = (self.lib.espeak_TextToPhonemes(pointer, _CHARS_UTF8, 0) or b"").decode()
            found = found.strip().rstrip("_|")
            self._phonemes[syllable] = found
        return found

    def speak(self, text: str, phonemes: bool = False) -> bytes:
        """Synthesise plain text (never SSML; with ``phonemes``, [[ ]] holds phoneme input) and
        return PCM at ``self.sample_rate``."""
        self._chunks = []
        data = text.encode("utf-8") + b"\0"
        flags = _CHARS_UTF8 | (_PHONEMES if phonemes else 0)
        status = self.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, flags, None, None)
        if status != 0:
            raise SynthesisError(f"eSpeak NG failed (status {status}) on: {text[:40]}")
        return b"".join(self._chunks)


class EspeakEngine:
    """eSpeak NG ``cmn``: robotic but offline, fast and always available.

    It is given the reading layer's toned pinyin (see :mod:`audiopack.engines.espeak_input`),
    so it says the syllables decided there rather than its own guesses from characters.
    """

    name = "espeak"
    input_form: Literal["text", "pinyin"] = "pinyin"

    def __init__(self, rate: str = "+0%", volume: str = "+0%", pitch: str = "+0Hz") -> None:
        self.rate, self.volume, self.pitch = rate, volume, pitch
        self._library = _Library.get()
        #: eSpeak NG's own rate (22.05 kHz): the pack is made at it, nothing is resampled.
        self.sample_rate: int = self._library.sample_rate
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="espeak")

    @property
    def version(self) -> str:
        return self._library.version

    def fingerprint(self) -> dict[str, str]:
        return {
            "engine": self.name,
            "version": self._library.version,
            "voice": "cmn",
            "rate": self.rate,
            "volume": self.volume,
            "pitch": self.pitch,
            "input": f"pinyin/{SPELLING_VERSION}",
        }

    def synthesize_blocking(self, sentences: Sequence[str]) -> SegmentAudio:
        library = self._library
        with _Library._lock:
            library.set_prosody(self.rate, self.volume, self.pitch)
            pieces: list[bytes] = []
            timings: list[SentenceTiming] = []
            position = 0
            for sentence in sentences:
                spelled = to_espeak(sentence, library.phonemes_of)
                pcm = library.speak(spelled, phonemes=needs_phoneme_input(spelled))
                frames = len(pcm) // 2
                timings.append(SentenceTiming(sentence, position, position + frames))
                pieces.append(pcm)
                position += frames
        return SegmentAudio(b"".join(pieces), tuple(timings))

    async def synthesize(self, sentences: Sequence[str]) -> SegmentAudio:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.synthesize_blocking, list(sentences))

    async def aclose(self) -> None:
        self._executor.shutdown(wait=False)
