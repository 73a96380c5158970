"""The offline neural engine: Kokoro-82M (int8 ONNX) through onnxruntime, Mandarin voices.

It is sent reading strings (``input_form = "pinyin"``: toned syllables and punctuation, see
:mod:`audiopack.speech.reading`), turns them into Kokoro's phonemes and runs one inference per
sentence, so every sentence timing is exact. A sentence too long for the model's 510 tokens
is cut at its last pause (else between syllables) and the parts joined without a seam.

The model is loaded once per process, on the first sentence (a build that synthesises
nothing never pays for it). One inference runs at a time, on as many intra-op threads as
there are cores (two here): a second concurrent inference, on the same session or a second
one, needs as much working memory again (measured: 0.8 GB against 0.5 GB for a long
sentence), and the sentences come out in order, so their pieces reach the encoders as soon
as they are made.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from audiopack.engines import kokoro_model
from audiopack.engines.kokoro_phonemes import MAPPING_VERSION, to_phonemes
from audiopack.engines.voices import DEFAULT_KOKORO_VOICE, KOKORO_VOICE_SHA256, check_voice
from audiopack.engines.voices import KOKORO_VOICES as VOICES
from audiopack.errors import ConfigError, EngineUnavailableError, SynthesisError
from audiopack.model import SegmentAudio, SentenceTiming

if TYPE_CHECKING:
    import numpy.typing as npt

    Floats = npt.NDArray[np.float32]
    Int16s = npt.NDArray[np.int16]

log = logging.getLogger(__name__)

SAMPLE_RATE = 24000
#: Token ids per inference, without the two boundary zeros: the model takes 510 in all, but
#: its working memory grows with the audio it makes, so long sentences are cut sooner.
MAX_IDS = 300
#: Kokoro's speed factor is kept where it still sounds like speech.
MIN_SPEED, MAX_SPEED = 0.5, 2.0
#: Where a long sentence is cut between syllables, each side loses its silence and the two
#: are overlapped by this much, faded, so no click or gap is heard; where it is cut at a pause
#: mark, the pause Kokoro makes for a comma inside a sentence is put in between.
_SEAM_S = 0.01
_PAUSE_S = 0.15
_SILENCE = 0.01
_PAUSES = frozenset(",.!?:;…—")


def speed_for(rate: str) -> float:
    """``--rate`` ("+10%") as Kokoro's speed factor (1.1), kept to MIN_SPEED..MAX_SPEED."""
    match = re.fullmatch(r"([+-]\d+)%", rate)
    if match is None:
        raise ConfigError(f"invalid --rate {rate!r}: use a signed value such as +10%")
    return min(MAX_SPEED, max(MIN_SPEED, 1 + int(match.group(1)) / 100))


class _Session:
    """The process's one inference session and the model's vocabulary."""

    _instance: ClassVar[_Session | None] = None
    _lock = threading.Lock()

    def __init__(self, threads: int | None) -> None:
        # onnxruntime (1.2x and later on Linux) otherwise writes a device id and an event
        # database under ~/.cache/Microsoft and may try to send them: an offline tool must
        # not. It reads the setting when it is first imported; a user's own value is kept.
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise EngineUnavailableError(
                "the kokoro engine needs onnxruntime: pip install onnxruntime"
            ) from e
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        # Planned buffers per input shape help nothing when every sentence has another length,
        # and cost a third more memory.
        options.enable_mem_pattern = False
        model = kokoro_model.load_model()
        try:
            self.session = ort.InferenceSession(
                model if isinstance(model, bytes) else str(model),
                sess_options=options,
                providers=["CPUExecutionProvider"],
            )
        except Exception as e:  # onnxruntime raises its own untyped errors
            raise EngineUnavailableError(f"onnxruntime cannot load the Kokoro model: {e}") from e
        self.vocab = kokoro_model.vocabulary()

    @classmethod
    def get(cls, threads: int | None) -> _Session:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls(threads)
            return cls._instance


def load_voice(name: str) -> Floats:
    """A voice's style vectors, one per input length: float32 (510, 256)."""
    data = (resources.files("audiopack") / "data" / "kokoro" / f"{name}.bin").read_bytes()
    return np.frombuffer(data, dtype="<f4").reshape(-1, 256)


class KokoroEngine:
    """Kokoro-82M's Mandarin voices: natural and offline, about half real time on two cores."""

    name = "kokoro"
    input_form: Literal["pinyin"] = "pinyin"
    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        voice: str = DEFAULT_KOKORO_VOICE,
        rate: str = "+0%",
        threads: int | None = None,
    ) -> None:
        check_voice(voice, VOICES)
        self.voice = voice
        self.speed = speed_for(rate)
        kokoro_model.check_installed()
        self._styles = load_voice(voice)
        self._threads = threads
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kokoro")
        # Set when the engine is closed (a build stopped by Ctrl-C): the inference thread
        # cannot be interrupted, so it checks this between sentences and chunks.
        self._closed = threading.Event()

    def fingerprint(self) -> dict[str, str]:
        return {
            "engine": self.name,
            "model": kokoro_model.MODEL_NAME,
            "model_sha256": kokoro_model.MODEL_SHA256,
            "voice": self.voice,
            "voice_sha256": KOKORO_VOICE_SHA256[self.voice],
            "speed": f"{self.speed:g}",
            "phonemes": str(MAPPING_VERSION),
        }

    def load(self) -> None:
        """Load the model now (else the first sentence does): errors surface here."""
        _Session.get(self._threads)

    def synthesize_blocking(self, sentences: Sequence[str]) -> SegmentAudio:
        session = _Session.get(self._threads)
        pieces: list[Int16s] = []
        timings: list[SentenceTiming] = []
        position = 0
        for sentence in sentences:
            self._check_open()
            phonemes = to_phonemes(sentence)
            audio = self._speak(session, phonemes)
            pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2")
            timings.append(SentenceTiming(sentence, position, position + len(pcm)))
            pieces.append(pcm)
            position += len(pcm)
        joined = np.concatenate(pieces) if pieces else np.zeros(0, "<i2")
        return SegmentAudio(joined.tobytes(), tuple(timings))

    def _speak(self, session: _Session, phonemes: str) -> Floats:
        ids = [session.vocab[ch] for ch in phonemes if ch in session.vocab]
        chunks = split_ids(ids, session.vocab)
        if not chunks:
            return np.zeros(0, np.float32)
        pauses = {session.vocab[mark] for mark in _PAUSES if mark in session.vocab}
        result = self._infer(session, chunks[0])
        for before, chunk in itertools.pairwise(chunks):
            self._check_open()
            result = join_seamless(result, self._infer(session, chunk), before[-1] in pauses)
        return result

    def _infer(self, session: _Session, ids: list[int]) -> Floats:
        try:
            (audio,) = session.session.run(
                None,
                {
                    "tokens": np.array([[0, *ids, 0]], dtype=np.int64),
                    "style": self._styles[len(ids) - 1].reshape(1, 256),
                    "speed": np.array([self.speed], dtype=np.float32),
                },
            )
        except Exception as e:  # onnxruntime raises its own untyped errors
            raise SynthesisError(f"Kokoro failed on {len(ids)} phonemes: {e}") from e
        return np.asarray(audio, dtype=np.float32).reshape(-1)

    async def synthesize(self, sentences: Sequence[str]) -> SegmentAudio:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.synthesize_blocking, list(sentences))

    def _check_open(self) -> None:
        if self._closed.is_set():
            raise SynthesisError("the kokoro engine is closed")

    async def aclose(self) -> None:
        self._closed.set()
        self._executor.shutdown(wait=False, cancel_futures=True)


def split_ids(ids: list[int], vocab: dict[str, int]) -> list[list[int]]:
    """``ids`` in runs of at most MAX_IDS, each cut after its last pause mark (else at a
    syllable's end: a space, else a tone arrow)."""
    pauses = {vocab[mark] for mark in _PAUSES if mark in vocab}
    soft = {vocab[mark] for mark in " →↗↓↘" if mark in vocab}
    chunks: list[list[int]] = []
    rest = ids
    while len(rest) > MAX_IDS:
        window = rest[:MAX_IDS]
        cut = _last_index(window, pauses) or _last_index(window, soft) or MAX_IDS
        chunks.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        chunks.append(rest)
    return chunks


def _last_index(window: list[int], marks: set[int]) -> int | None:
    """The position after the last of ``marks`` in the second half of ``window``."""
    for index in range(len(window) - 1, len(window) // 2, -1):
        if window[index] in marks:
            return index + 1
    return None


def join_seamless(
    left: Floats,
    right: Floats,
    pause: bool,
) -> Floats:
    """Two parts of one sentence as one: the silence at their inner edges dropped, then a
    comma's pause between them (``pause``) or a short crossfade."""
    left, right = _trim_end(left), _trim_start(right)
    n = min(round(_SEAM_S * SAMPLE_RATE), len(left), len(right))
    fade = np.linspace(0.0, 1.0, n, dtype=np.float32)
    if pause:
        silence = np.zeros(round(_PAUSE_S * SAMPLE_RATE), np.float32)
        left[len(left) - n :] *= fade[::-1]
        right[:n] *= fade
        return np.concatenate((left, silence, right))
    middle = left[len(left) - n :] * fade[::-1] + right[:n] * fade
    return np.concatenate((left[: len(left) - n], middle, right[n:]))


def _trim_end(audio: Floats) -> Floats:
    loud = np.flatnonzero(np.abs(audio) > _SILENCE)
    return audio[: loud[-1] + 1] if len(loud) else audio[:0]


def _trim_start(
    audio: Floats,
) -> Floats:
    loud = np.flatnonzero(np.abs(audio) > _SILENCE)
    return audio[loud[0] :] if len(loud) else audio[:0]
