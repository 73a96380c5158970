"""A local fake of Microsoft Edge's read-aloud TTS service, for tests and benchmarks.

It speaks the protocol of the real service as used by edge-tts 7.x, on 127.0.0.1 (a random
free port), served by aiohttp on a background thread with its own event loop:

* WebSocket at any path and query (edge-tts appends ``&ConnectionId=…&Sec-MS-GEC=…``): reads
  the ``Path:speech.config`` and ``Path:ssml`` text frames, parses the SSML (voice, prosody,
  text with XML entities resolved), answers ``Path:turn.start`` and ``Path:response``, then
  ``Path:audio.metadata`` frames (one ``SentenceBoundary`` each, text XML-escaped as the real
  service does) interleaved with binary ``Path:audio`` frames (2-byte big-endian header
  length, headers, MP3 bytes), an empty ``Path:audio`` frame and ``Path:turn.end``.
* The audio is real MP3 (24 kHz mono 48 kbps, by ffmpeg): each sentence of the text (split
  at 。！？!?；; and newlines) is a tone burst of ``seconds_per_char`` per voiced character,
  bursts separated by ``gap_s`` of silence, after ``lead_s`` and before ``tail_s`` of
  silence. The metadata states the burst positions truthfully (``metadata="sentences"``), or
  merges pairs, splits sentences in two, sends none, or sends nonsense offsets.
* Faults, per request: a ``schedule`` (consumed first) or a ``fail_rate`` share drawn from
  ``fail_kinds``; see FAULT_KINDS. ``latency_s`` delays every answer.
* GET ``…/voices/list…`` serves the voice list JSON (``voices``, ``voices_status``).
* It records requests: ``request_count``, ``max_active`` (concurrency high-water mark),
  ``requests`` (FakeRequest: kind, text, voice, prosody, speech.config, burst positions).

Use ``with running_fake_edge(latency_s=0.2) as fake:`` and point the engine at it with the
environment from ``fake.env()`` (or ``use_fake_edge(fake)``, or the ``fake_edge`` fixture).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import re
import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pytest
from aiohttp import WSMsgType, web

from audiopack.audio.ffmpeg import run_ffmpeg
from audiopack.model import SAMPLE_RATE

log = logging.getLogger(__name__)

TICKS_PER_SECOND = 10_000_000
MP3_BYTES_PER_SECOND = 48_000 // 8

FAULT_KINDS = (
    "ok",  # a clean answer
    "drop_before_audio",  # abort the TCP connection after reading the SSML
    "drop_mid_audio",  # abort the TCP connection after half of the audio
    "close_mid_audio",  # close the WebSocket cleanly after half of the audio (no turn.end)
    "no_audio",  # turn.start then turn.end, no audio
    "http_403",  # reject the handshake with 403 (edge-tts retries once itself)
    "http_503",  # reject the handshake with 503
    "garbage",  # a malformed frame (rotating through several kinds) after turn.start
    "bad_audio",  # a complete answer whose audio/mpeg bytes are not MP3
    "hang",  # accept and read the request, then never answer
)
METADATA_MODES = ("sentences", "merged", "split", "none", "bogus")

DEFAULT_VOICES: list[dict[str, Any]] = [
    {
        "Name": f"Microsoft Server Speech Text to Speech Voice ({locale}, {name})",
        "ShortName": f"{locale}-{name}",
        "Gender": gender,
        "Locale": locale,
        "SuggestedCodec": "audio-24khz-48kbitrate-mono-mp3",
        "FriendlyName": f"Microsoft {name} Online (Natural) - {locale}",
        "Status": "GA",
        "VoiceTag": {"ContentCategories": [category], "VoicePersonalities": [personality]},
    }
    for locale, name, gender, category, personality in (
        ("en-US", "EmmaMultilingualNeural", "Female", "Conversation", "Cheerful"),
        ("zh-CN", "XiaoxiaoNeural", "Female", "News", "Warm"),
        ("zh-CN", "YunyangNeural", "Male", "News", "Professional"),
        ("zh-CN", "FakeOnlyNeural", "Female", "Test", "Imaginary"),
        ("zh-TW", "HsiaoChenNeural", "Female", "General", "Friendly"),
    )
]

_SENTENCE_RE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*|[。！？!?；;]+")
_PUNCTUATION = set("。！？!?；;，,、：:“”‘’\"'（）()《》…—-·")
_SSML_NS = "{http://www.w3.org/2001/10/synthesis}"


@dataclass
class FakeEdgeConfig:
    """Behaviour of the fake; change it while running with ``FakeEdge.configure``."""

    latency_s: float = 0.0
    fail_rate: float = 0.0
    fail_kinds: tuple[str, ...] = ("drop_before_audio", "drop_mid_audio")
    schedule: list[str] = field(default_factory=list)
    seed: int = 20240601
    metadata: str = "sentences"
    seconds_per_char: float = 0.2
    lead_s: float = 0.1
    gap_s: float = 0.3
    tail_s: float = 0.2
    chunk_bytes: int = 2048
    voices: list[dict[str, Any]] = field(default_factory=lambda: list(DEFAULT_VOICES))
    voices_status: int = 200

    def __post_init__(self) -> None:
        self.schedule = list(self.schedule)  # consumed by the fake: never the caller's list
        for kind in (*self.fail_kinds, *self.schedule):
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r}: one of {FAULT_KINDS}")
        if self.metadata not in METADATA_MODES:
            raise ValueError(f"unknown metadata mode {self.metadata!r}: one of {METADATA_MODES}")


@dataclass
class Burst:
    """One tone burst of a fake answer: a sentence of the request and where it sounds."""

    text: str
    start_s: float
    end_s: float


@dataclass
class FakeRequest:
    """One WebSocket request as the fake saw it."""

    path: str
    query: dict[str, str]
    kind: str
    config: dict[str, Any] | None = None
    voice: str = ""
    rate: str = ""
    volume: str = ""
    pitch: str = ""
    text: str = ""
    bursts: list[Burst] = field(default_factory=list)
    completed: bool = False


# --------------------------------------------------------------------------------------------
# Audio


def split_sentences(text: str) -> list[str]:
    """The fake service's own sentence split (at 。！？!?；; and newlines)."""
    return [s.strip() for s in _SENTENCE_RE.findall(text) if s.strip()]


def _voiced_chars(sentence: str) -> int:
    return max(1, sum(1 for ch in sentence if not ch.isspace() and ch not in _PUNCTUATION))


def render(text: str, config: FakeEdgeConfig) -> tuple[list[Burst], bytes]:
    """The bursts of ``text`` and their MP3 (24 kHz mono 48 kbps, no Xing/ID3 header)."""
    bursts: list[Burst] = []
    pieces: list[np.ndarray] = []
    position = 0

    def silence(seconds: float) -> None:
        nonlocal position
        count = round(seconds * SAMPLE_RATE)
        pieces.append(np.zeros(count, dtype=np.float64))
        position += count

    silence(config.lead_s)
    sentences = split_sentences(text) or [text]
    for index, sentence in enumerate(sentences):
        if index:
            silence(config.gap_s)
        count = round(_voiced_chars(sentence) * config.seconds_per_char * SAMPLE_RATE)
        t = np.arange(count) / SAMPLE_RATE
        frequency = 220.0 + 55.0 * (index % 6)
        tone = 0.5 * np.sin(2 * np.pi * frequency * t) + 0.2 * np.sin(4 * np.pi * frequency * t)
        fade = min(count // 2, SAMPLE_RATE // 100)
        if fade:
            ramp = np.linspace(0.0, 1.0, fade)
            tone[:fade] *= ramp
            tone[count - fade :] *= ramp[::-1]
        bursts.append(Burst(sentence, position / SAMPLE_RATE, (position + count) / SAMPLE_RATE))
        pieces.append(tone)
        position += count
    silence(config.tail_s)
    pcm = (np.concatenate(pieces) * 0.6 * 32767).astype("<i2").tobytes()
    mp3 = run_ffmpeg(
        [
            "-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "pipe:0",
            "-c:a", "libmp3lame", "-b:a", "48k", "-write_xing", "0", "-id3v2_version", "0",
            "-f", "mp3", "pipe:1",
        ],
        stdin=pcm,
    )  # fmt: skip
    return bursts, mp3


def _boundaries(bursts: list[Burst], mode: str) -> list[tuple[str, float, float]]:
    """(text, start_s, end_s) of the SentenceBoundary events to send."""
    if mode == "none":
        return []
    if mode == "bogus":
        return [(b.text, 3600.0 - i, 1.0) for i, b in enumerate(bursts)]
    if mode == "merged":
        merged = []
        for i in range(0, len(bursts), 2):
            pair = bursts[i : i + 2]
            merged.append(("".join(b.text for b in pair), pair[0].start_s, pair[-1].end_s))
        return merged
    if mode == "split":
        halves = []
        for b in bursts:
            if len(b.text) < 2:
                halves.append((b.text, b.start_s, b.end_s))
                continue
            cut = len(b.text) // 2
            middle = b.start_s + (b.end_s - b.start_s) * cut / len(b.text)
            halves.append((b.text[:cut], b.start_s, middle))
            halves.append((b.text[cut:], middle, b.end_s))
        return halves
    return [(b.text, b.start_s, b.end_s) for b in bursts]


# --------------------------------------------------------------------------------------------
# Protocol frames


def _text_frame(request_id: str, path: str, body: str) -> str:
    return (
        f"X-RequestId:{request_id}\r\n"
        "Content-Type:application/json; charset=utf-8\r\n"
        f"Path:{path}\r\n\r\n{body}"
    )


def _audio_frame(request_id: str, data: bytes, content_type: bool = True) -> bytes:
    headers = f"X-RequestId:{request_id}\r\n"
    if content_type:
        headers += "Content-Type:audio/mpeg\r\n"
    headers += f"X-StreamId:{request_id[:8]}\r\nPath:audio\r\n"
    encoded = headers.encode()
    return len(encoded).to_bytes(2, "big") + encoded + data


def _metadata_body(text: str, start_s: float, end_s: float) -> str:
    offset = round(start_s * TICKS_PER_SECOND)
    duration = round((end_s - start_s) * TICKS_PER_SECOND)
    item = {
        "Type": "SentenceBoundary",
        "Data": {
            "Offset": offset,
            "Duration": duration,
            "text": {"Text": escape(text), "Length": len(text), "BoundaryType": "SentenceBoundary"},
        },
    }
    return json.dumps({"Metadata": [item]}, ensure_ascii=False)


def _parse_text_message(data: str) -> tuple[dict[str, str], str]:
    head, _, body = data.partition("\r\n\r\n")
    headers = {}
    for line in head.split("\r\n"):
        key, _, value = line.partition(":")
        headers[key.strip()] = value.strip()
    return headers, body


def _parse_ssml(ssml: str, record: FakeRequest) -> None:
    root = ET.fromstring(ssml)
    voice = root.find(f"{_SSML_NS}voice")
    if voice is None:
        raise ValueError("SSML without <voice>")
    record.voice = voice.get("name", "")
    prosody = voice.find(f"{_SSML_NS}prosody")
    holder = prosody if prosody is not None else voice
    if prosody is not None:
        record.rate = prosody.get("rate", "")
        record.volume = prosody.get("volume", "")
        record.pitch = prosody.get("pitch", "")
    record.text = "".join(holder.itertext())


_GARBAGE: list[tuple[str, Any]] = [
    ("binary", b"\x00"),  # too short for a header length
    ("text", "nonsense without any headers"),  # header line without ':'
    ("text", "Path:audio.metadata\r\n\r\n{not json"),  # bad JSON
    ("binary", _audio_frame("0" * 32, b"xyz").replace(b"Path:audio", b"Path:video")),
    ("text", "Path:mystery.path\r\n\r\n{}"),  # unknown path
]


# --------------------------------------------------------------------------------------------
# The server


class FakeEdge:
    """The fake service; start with ``running_fake_edge``."""

    def __init__(self, config: FakeEdgeConfig) -> None:
        self.config = config
        self.requests: list[FakeRequest] = []
        self.request_count = 0
        self.voices_requests = 0
        self.active = 0
        self.max_active = 0
        self.port = 0
        self._lock = threading.Lock()
        self._rng = random.Random(config.seed)
        self._garbage_index = 0
        self._cache: dict[tuple[Any, ...], tuple[list[Burst], bytes]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._sockets: set[web.WebSocketResponse] = set()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The AUDIOPACK_EDGE_URL of this fake (edge-tts appends more query parameters)."""
        return (
            f"ws://127.0.0.1:{self.port}/consumer/speech/synthesize/readaloud/edge/v1"
            "?TrustedClientToken=fake"
        )

    @property
    def voices_url(self) -> str:
        return (
            f"http://127.0.0.1:{self.port}/consumer/speech/synthesize/readaloud/voices/list"
            "?trustedclienttoken=fake"
        )

    def env(self) -> dict[str, str]:
        """Environment variables that point audiopack's edge engine at this fake."""
        return {"AUDIOPACK_EDGE_URL": self.url, "AUDIOPACK_EDGE_VOICES_URL": self.voices_url}

    # -- control -----------------------------------------------------------------------------

    def configure(self, **changes: Any) -> None:
        """Change the behaviour (FakeEdgeConfig fields) for the following requests."""
        names = {f.name for f in fields(FakeEdgeConfig)}
        unknown = set(changes) - names
        if unknown:
            raise TypeError(f"unknown fake edge settings: {sorted(unknown)}")
        with self._lock:
            values = {name: getattr(self.config, name) for name in names}
            values.update(changes)
            self.config = FakeEdgeConfig(**values)
            if "seed" in changes:
                self._rng = random.Random(self.config.seed)

    def reset_counters(self) -> None:
        with self._lock:
            self.requests.clear()
            self.request_count = self.voices_requests = self.max_active = 0

    @property
    def texts(self) -> list[str]:
        return [r.text for r in self.requests]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="fake-edge", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("the fake edge service did not start")
        if self._startup_error is not None:
            raise RuntimeError("the fake edge service failed to start") from self._startup_error

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as e:  # reported to start()
            self._startup_error = e
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _startup(self) -> None:
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(
            app, handle_signals=False, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        log.info("fake edge service on 127.0.0.1:%d", self.port)

    async def _shutdown(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- handlers ----------------------------------------------------------------------------

    def _next_kind(self) -> str:
        with self._lock:
            if self.config.schedule:
                return self.config.schedule.pop(0)
            if self.config.fail_rate and self._rng.random() < self.config.fail_rate:
                return self._rng.choice(self.config.fail_kinds)
            return "ok"

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._speech(request)
        if "voices/list" in request.path:
            with self._lock:
                self.voices_requests += 1
                status, voices = self.config.voices_status, self.config.voices
            if status != 200:
                return web.Response(status=status, text="voice list unavailable")
            return web.json_response(voices)
        return web.Response(status=404, text="not found")

    async def _speech(self, request: web.Request) -> web.StreamResponse:
        kind = self._next_kind()
        record = FakeRequest(request.path, dict(request.query), kind)
        with self._lock:
            self.requests.append(record)
            self.request_count += 1
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            if kind == "http_403":
                return web.Response(status=403, text="Forbidden by the fake")
            if kind == "http_503":
                return web.Response(status=503, text="Unavailable in the fake")
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            self._sockets.add(ws)
            try:
                await self._converse(request, ws, record)
            except (ConnectionError, RuntimeError, asyncio.CancelledError) as e:
                log.debug("fake edge: connection ended early: %r", e)
            finally:
                self._sockets.discard(ws)
            return ws
        finally:
            with self._lock:
                self.active -= 1

    async def _receive_text(self, ws: web.WebSocketResponse) -> tuple[dict[str, str], str]:
        message = await ws.receive(timeout=10)
        if message.type != WSMsgType.TEXT:
            raise ConnectionError(f"expected a text frame, got {message.type!r}")
        return _parse_text_message(message.data)

    async def _converse(
        self, request: web.Request, ws: web.WebSocketResponse, record: FakeRequest
    ) -> None:
        config = self.config
        headers, body = await self._receive_text(ws)
        if headers.get("Path") != "speech.config":
            raise ConnectionError(f"expected speech.config, got {headers.get('Path')!r}")
        record.config = json.loads(body)
        headers, body = await self._receive_text(ws)
        if headers.get("Path") != "ssml":
            raise ConnectionError(f"expected ssml, got {headers.get('Path')!r}")
        _parse_ssml(body, record)
        request_id = headers.get("X-RequestId") or uuid.uuid4().hex
        kind = record.kind

        if kind == "hang":  # until the client gives up or the fake stops
            assert self._stopping is not None
            waits = [
                asyncio.ensure_future(self._stopping.wait()),
                asyncio.ensure_future(ws.receive()),
            ]
            _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            return
        if kind == "drop_before_audio":
            self._abort(request)
            return
        if config.latency_s:
            await asyncio.sleep(config.latency_s)

        await ws.send_str(
            _text_frame(request_id, "turn.start", '{"context":{"serviceTag":"fake"}}')
        )
        await ws.send_str(
            _text_frame(
                request_id,
                "response",
                '{"context":{"serviceTag":"fake"},"audio":{"type":"inline","streamId":"fake"}}',
            )
        )
        if kind == "no_audio":
            await ws.send_str(_text_frame(request_id, "turn.end", "{}"))
            await ws.close()
            return
        if kind == "garbage":
            with self._lock:
                frame_type, payload = _GARBAGE[self._garbage_index % len(_GARBAGE)]
                self._garbage_index += 1
            if frame_type == "binary":
                await ws.send_bytes(payload)
            else:
                await ws.send_str(payload)
            with contextlib.suppress(asyncio.TimeoutError):
                await ws.receive(timeout=5)  # the client gives up and closes
            await ws.close()
            return

        bursts, mp3 = await self._render(record.text, config)
        record.bursts = bursts
        if kind == "bad_audio":
            mp3 = b"\x00" * len(mp3)
        events = [
            (round(start * MP3_BYTES_PER_SECOND), _metadata_body(text, start, end))
            for text, start, end in _boundaries(bursts, config.metadata)
        ]
        chunks = [mp3[i : i + config.chunk_bytes] for i in range(0, len(mp3), config.chunk_bytes)]
        position = 0
        for index, chunk in enumerate(chunks):
            if kind in ("drop_mid_audio", "close_mid_audio") and index == max(1, len(chunks) // 2):
                if kind == "drop_mid_audio":
                    self._abort(request)
                else:
                    await ws.close()
                return
            position += len(chunk)
            while events and events[0][0] < position:
                await ws.send_str(_text_frame(request_id, "audio.metadata", events.pop(0)[1]))
            await ws.send_bytes(_audio_frame(request_id, chunk))
        for _, body in events:  # metadata beyond the audio (bogus mode)
            await ws.send_str(_text_frame(request_id, "audio.metadata", body))
        await ws.send_bytes(_audio_frame(request_id, b"", content_type=False))
        await ws.send_str(_text_frame(request_id, "turn.end", "{}"))
        record.completed = True
        await ws.close()

    @staticmethod
    def _abort(request: web.Request) -> None:
        transport = request.transport
        if transport is not None:
            transport.abort()

    async def _render(self, text: str, config: FakeEdgeConfig) -> tuple[list[Burst], bytes]:
        key = (text, config.seconds_per_char, config.lead_s, config.gap_s, config.tail_s)
        with self._lock:
            cached = self._cache.get(key)
        if cached is None:
            loop = asyncio.get_running_loop()
            cached = await loop.run_in_executor(None, render, text, config)
            with self._lock:
                self._cache[key] = cached
        bursts, mp3 = cached
        return [Burst(b.text, b.start_s, b.end_s) for b in bursts], mp3


@contextlib.contextmanager
def running_fake_edge(**options: Any) -> Iterator[FakeEdge]:
    """Run a fake Edge service (FakeEdgeConfig fields as options) for the ``with`` block."""
    fake = FakeEdge(FakeEdgeConfig(**options))
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@contextlib.contextmanager
def use_fake_edge(fake: FakeEdge) -> Iterator[FakeEdge]:
    """Set the environment (os.environ) that points the edge engine at ``fake``, then restore."""
    changes = {**fake.env(), "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    saved = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    try:
        yield fake
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --------------------------------------------------------------------------------------------
# pytest fixtures (import them into a test module: ``from fake_edge import fake_edge``)


@pytest.fixture
def fake_edge(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEdge]:
    """A running fake service with the environment pointing at it; clean state afterwards."""
    from edge_tts import communicate, voices
    from edge_tts.drm import DRM

    # Restored at teardown: the endpoint patches and edge-tts's clock skew (403 answers move it).
    monkeypatch.setattr(communicate, "WSS_URL", vars(communicate)["WSS_URL"])
    monkeypatch.setattr(voices, "VOICE_LIST", vars(voices)["VOICE_LIST"])
    monkeypatch.setattr(DRM, "clock_skew_seconds", DRM.clock_skew_seconds)
    with running_fake_edge() as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
        yield fake
