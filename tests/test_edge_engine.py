"""The edge engine against the local fake Edge service, with the real edge-tts client."""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import time
from collections.abc import Sequence
from typing import Any

import edge_tts
import numpy as np
import pytest
from fake_edge import FakeEdge, fake_edge
from hypothesis import given, settings
from hypothesis import strategies as st

from audiopack.engines import edge, edge_service
from audiopack.engines.edge import (
    BUILTIN_ZH_VOICES,
    Boundary,
    EdgeEngine,
    align_sentences,
    apply_endpoint_override,
    check_voice,
    list_voices,
    probe,
    proportional_timings,
)
from audiopack.errors import ConfigError, SynthesisError
from audiopack.model import SAMPLE_RATE, SegmentAudio

__all__ = ["fake_edge"]  # the fixture, imported for pytest

pytestmark = pytest.mark.timeout(120)

SENTENCES = ["今天天气很好。", "我们一起去公园散步吧！", "好的。", "出发之前，先把水带上。"]
TOLERANCE_S = 0.1


def fast_engine(**options: Any) -> EdgeEngine:
    """An engine with quick retries, for the fake."""
    settings_: dict[str, Any] = {"retries": 5, "backoff_base_s": 0.01, "request_timeout_s": 10}
    settings_.update(options)
    return EdgeEngine(**settings_)


def synthesize(engine: EdgeEngine, sentences: Sequence[str]) -> SegmentAudio:
    return asyncio.run(engine.synthesize(sentences))


def bursts_in(pcm: bytes) -> list[tuple[float, float]]:
    """(start_s, end_s) of the loud stretches of ``pcm``, measured in 10 ms windows."""
    window = SAMPLE_RATE // 100
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    count = len(samples) // window
    energy = np.sqrt(np.mean(samples[: count * window].reshape(count, window) ** 2, axis=1))
    loud = energy > 0.1 * energy.max()
    found: list[tuple[float, float]] = []
    start = None
    for index, flag in enumerate([*loud.tolist(), False]):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            found.append((start * 0.01, index * 0.01))
            start = None
    return found


def assert_on_bursts(audio: SegmentAudio, sentences: Sequence[str]) -> None:
    bursts = bursts_in(audio.pcm)
    assert len(bursts) == len(sentences)
    assert [t.text for t in audio.sentences] == list(sentences)
    for timing, (start_s, end_s) in zip(audio.sentences, bursts, strict=True):
        assert abs(timing.start_frame / SAMPLE_RATE - start_s) <= TOLERANCE_S, (timing, start_s)
        assert abs(timing.end_frame / SAMPLE_RATE - end_s) <= TOLERANCE_S, (timing, end_s)


# --------------------------------------------------------------------------------------------
# Synthesis


@pytest.mark.parametrize("metadata", ["sentences", "merged", "split"])
def test_clean_synthesis_puts_each_sentence_on_its_burst(
    fake_edge: FakeEdge, metadata: str
) -> None:
    fake_edge.configure(metadata=metadata)
    audio = synthesize(fast_engine(), SENTENCES)

    request = fake_edge.requests[-1]
    assert fake_edge.request_count == 1
    assert request.text == "".join(SENTENCES)
    assert request.voice == "Microsoft Server Speech Text to Speech Voice (zh-CN, YunyangNeural)"
    assert request.config is not None
    options = request.config["context"]["synthesis"]["audio"]["metadataoptions"]
    assert options["sentenceBoundaryEnabled"] == "true"
    expected_s = request.bursts[-1].end_s + fake_edge.config.tail_s
    assert abs(audio.frames / SAMPLE_RATE - expected_s) < 0.15
    assert_on_bursts(audio, SENTENCES)


@pytest.mark.parametrize("metadata", ["none", "bogus"])
def test_unusable_metadata_falls_back_to_proportional(
    fake_edge: FakeEdge, metadata: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake_edge.configure(metadata=metadata)
    with caplog.at_level(logging.WARNING, logger="audiopack.engines.edge"):
        audio = synthesize(fast_engine(), SENTENCES)
    assert "placing 4 sentence(s) by length" in caplog.text
    assert audio.sentences == proportional_timings(SENTENCES, audio.frames)
    assert audio.sentences[0].start_frame == 0 and audio.sentences[-1].end_frame == audio.frames


def test_prosody_and_xml_special_characters_reach_the_service(fake_edge: FakeEdge) -> None:
    sentences = ["A&B<C>说“好”。", "第二句。"]
    audio = synthesize(
        fast_engine(voice="zh-CN-XiaoxiaoNeural", rate="+10%", pitch="-5Hz"), sentences
    )
    request = fake_edge.requests[-1]
    assert request.text == "".join(sentences)
    assert (request.rate, request.volume, request.pitch) == ("+10%", "+0%", "-5Hz")
    assert "XiaoxiaoNeural" in request.voice
    assert_on_bursts(audio, sentences)


def test_empty_request_needs_no_service() -> None:
    audio = synthesize(fast_engine(), [])
    assert audio == SegmentAudio(b"", ())


def test_closed_engine_refuses_work(fake_edge: FakeEdge) -> None:
    engine = fast_engine()
    asyncio.run(engine.aclose())
    with pytest.raises(SynthesisError, match="closed"):
        synthesize(engine, SENTENCES)


# --------------------------------------------------------------------------------------------
# Retries


def test_retries_survive_thirty_percent_dropped_connections(fake_edge: FakeEdge) -> None:
    reference = synthesize(fast_engine(), SENTENCES)
    fake_edge.reset_counters()
    fake_edge.configure(
        fail_rate=0.3,
        fail_kinds=("drop_before_audio", "drop_mid_audio", "close_mid_audio"),
        seed=7,
    )
    engine = fast_engine(retries=8)

    async def many() -> list[SegmentAudio]:
        return await asyncio.gather(*(engine.synthesize(SENTENCES) for _ in range(12)))

    answers = asyncio.run(many())
    kinds = [r.kind for r in fake_edge.requests]
    assert kinds.count("ok") == 12
    assert len(kinds) > 12  # some attempts failed and were retried
    for audio in answers:  # audio of failed attempts was discarded: no truncated audio
        assert audio.pcm == reference.pcm
        assert audio.sentences == reference.sentences


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("no_audio", "no audio received"),
        ("http_403", "handshake rejected (HTTP 403)"),
        ("http_503", "handshake rejected (HTTP 503)"),
        ("garbage", ""),
        ("bad_audio", "undecodable audio"),
        ("close_mid_audio", "connection closed before the end of the audio"),
    ],
)
def test_persistent_faults_are_retried_then_reported(
    fake_edge: FakeEdge, kind: str, reason: str
) -> None:
    fake_edge.configure(fail_rate=1.0, fail_kinds=(kind,))
    with pytest.raises(SynthesisError) as raised:
        synthesize(fast_engine(retries=3), SENTENCES)
    message = str(raised.value)
    assert "after 3 attempt(s)" in message
    assert reason in message
    assert "今天天气很好。我们一起去公园散步" in message  # the first 20 characters
    assert raised.value.__cause__ is not None
    # edge-tts itself reconnects once after a 403 (clock-skew correction).
    assert fake_edge.request_count == (6 if kind == "http_403" else 3)


def test_garbage_frames_of_every_kind_are_retried(fake_edge: FakeEdge) -> None:
    fake_edge.configure(schedule=["garbage"] * 5)
    audio = synthesize(fast_engine(retries=6), SENTENCES)
    assert [r.kind for r in fake_edge.requests] == ["garbage"] * 5 + ["ok"]
    assert_on_bursts(audio, SENTENCES)


def test_our_own_bugs_are_not_retried(fake_edge: FakeEdge, monkeypatch: pytest.MonkeyPatch) -> None:
    """A TypeError of our own (here: in decoding the answer) is a bug, not a network fault:
    it surfaces at once instead of costing five attempts and a misleading message."""

    def broken_decode(mp3: bytes) -> bytes:
        raise TypeError("a bug of ours")

    monkeypatch.setattr(edge, "_decode", broken_decode)
    with pytest.raises(TypeError, match="a bug of ours"):
        synthesize(fast_engine(), SENTENCES)
    assert fake_edge.request_count == 1


def test_hanging_service_times_out(fake_edge: FakeEdge) -> None:
    fake_edge.configure(fail_rate=1.0, fail_kinds=("hang",))
    started = time.monotonic()
    with pytest.raises(SynthesisError, match="timed out"):
        synthesize(fast_engine(retries=2, request_timeout_s=0.5), SENTENCES)
    assert time.monotonic() - started < 5
    assert fake_edge.request_count == 2


def test_concurrent_requests_overlap(fake_edge: FakeEdge) -> None:
    fake_edge.configure(latency_s=0.4)
    engine = fast_engine()
    texts = [[f"第{n}句话。", "然后结束。"] for n in "一二三四"]

    async def together() -> list[SegmentAudio]:
        return await asyncio.gather(*(engine.synthesize(t) for t in texts))

    answers = asyncio.run(together())
    # Overlap is observed at the service, not timed: a busy machine makes any timing slow.
    assert fake_edge.max_active >= 2
    assert sorted(fake_edge.texts) == sorted("".join(t) for t in texts)
    for audio, sentences in zip(answers, texts, strict=True):
        assert_on_bursts(audio, sentences)


# --------------------------------------------------------------------------------------------
# Probe, voices, settings


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_probe_reaches_the_fake(fake_edge: FakeEdge) -> None:
    assert asyncio.run(probe(timeout_s=3.0)) is None


def test_probe_reports_a_closed_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edge_service._communicate, "WSS_URL", edge_service._communicate.WSS_URL)
    monkeypatch.setenv("AUDIOPACK_EDGE_URL", f"ws://127.0.0.1:{closed_port()}/edge/v1?x=1")
    started = time.monotonic()
    reason = asyncio.run(probe(timeout_s=2.0))
    assert time.monotonic() - started < 3
    assert reason is not None and reason.startswith("cannot reach 127.0.0.1: connection failed")


def test_probe_reports_a_rejected_handshake(fake_edge: FakeEdge) -> None:
    fake_edge.configure(fail_rate=1.0, fail_kinds=("http_503",))
    assert asyncio.run(probe()) == "cannot reach 127.0.0.1: handshake rejected (HTTP 503)"


def test_probe_reports_a_silent_service(fake_edge: FakeEdge) -> None:
    fake_edge.configure(fail_rate=1.0, fail_kinds=("hang",))
    assert asyncio.run(probe(timeout_s=0.5)) == "cannot reach 127.0.0.1: no answer within 0.5 s"


def test_list_voices_from_the_service(fake_edge: FakeEdge) -> None:
    voices, live = asyncio.run(list_voices())
    assert live
    names = [v.short_name for v in voices]
    assert "zh-CN-FakeOnlyNeural" in names and "en-US-EmmaMultilingualNeural" in names
    check_voice("zh-CN-FakeOnlyNeural", voices)
    zh, _ = asyncio.run(list_voices(locale_prefix="zh-CN"))
    assert {v.locale for v in zh} == {"zh-CN"}
    xiaoxiao = next(v for v in voices if v.short_name == "zh-CN-XiaoxiaoNeural")
    assert (xiaoxiao.gender, xiaoxiao.description) == ("Female", "News; Warm")


@pytest.mark.parametrize("broken", ["status", "port"])
def test_list_voices_falls_back_to_the_builtin_list(
    fake_edge: FakeEdge, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    if broken == "status":
        fake_edge.configure(voices_status=500)
    else:
        monkeypatch.setenv("AUDIOPACK_EDGE_VOICES_URL", f"http://127.0.0.1:{closed_port()}/v")
    voices, live = asyncio.run(list_voices(timeout_s=2.0))
    assert not live
    assert voices == list(BUILTIN_ZH_VOICES)


def test_builtin_voices_and_check_voice() -> None:
    names = [v.short_name for v in BUILTIN_ZH_VOICES]
    assert len(names) == 8 and "zh-CN-YunyangNeural" in names
    assert "zh-CN-shaanxi-XiaoniNeural" in names and "zh-CN-liaoning-XiaobeiNeural" in names
    assert all(v.gender in ("Female", "Male") and v.description for v in BUILTIN_ZH_VOICES)
    check_voice("zh-CN-XiaoxiaoNeural", list(BUILTIN_ZH_VOICES))
    with pytest.raises(ConfigError) as raised:
        check_voice("zh-cn-xiaoxiaoneural", list(BUILTIN_ZH_VOICES))
    assert str(raised.value) == (
        "unknown voice 'zh-cn-xiaoxiaoneural': run 'audiopack voices' to list them"
    )


def test_fingerprint_follows_the_settings() -> None:
    base = fast_engine().fingerprint()
    assert base == {
        "engine": "edge",
        "version": edge_tts.__version__,
        "voice": "zh-CN-YunyangNeural",
        "rate": "+0%",
        "volume": "+0%",
        "pitch": "+0Hz",
    }
    assert fast_engine(voice="zh-CN-XiaoxiaoNeural").fingerprint() != base
    assert fast_engine(rate="+10%").fingerprint() != base
    assert fast_engine(retries=2, request_timeout_s=1).fingerprint() == base


def test_invalid_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        EdgeEngine(rate="fast")
    with pytest.raises(ConfigError):
        EdgeEngine(voice="Yunyang")
    with pytest.raises(ConfigError):
        EdgeEngine(retries=0)


def test_endpoint_override_is_validated_and_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edge_service._communicate, "WSS_URL", edge_service._communicate.WSS_URL)
    monkeypatch.setattr(edge_service._voices, "VOICE_LIST", edge_service._voices.VOICE_LIST)
    monkeypatch.setenv("AUDIOPACK_EDGE_URL", "ws://127.0.0.1:9/edge")
    apply_endpoint_override()
    assert edge_service._communicate.WSS_URL == "ws://127.0.0.1:9/edge?"
    monkeypatch.delenv("AUDIOPACK_EDGE_URL")
    apply_endpoint_override()
    assert edge_service._communicate.WSS_URL == edge_tts.constants.WSS_URL
    assert edge_service._voices.VOICE_LIST == edge_tts.constants.VOICE_LIST
    monkeypatch.setenv("AUDIOPACK_EDGE_URL", "http://example.invalid/edge")
    with pytest.raises(ConfigError, match="AUDIOPACK_EDGE_URL"):
        apply_endpoint_override()


# --------------------------------------------------------------------------------------------
# Alignment (pure)


def test_align_handles_merged_and_split_boundaries() -> None:
    sentences = ["甲乙丙。", "丁戊。", "己庚辛壬。"]
    boundaries = [
        Boundary("甲乙丙。丁戊。", 100, 800),  # two of ours in one
        Boundary("己庚", 1000, 1200),  # one of ours in two
        Boundary("辛壬。", 1200, 1500),
    ]
    timings = align_sentences(sentences, boundaries, 2000)
    assert timings is not None
    assert [(t.start_frame, t.end_frame) for t in timings] == [(100, 500), (500, 800), (1000, 1500)]


def test_align_ignores_whitespace_and_rejects_foreign_text() -> None:
    boundaries = [Boundary("第一句。", 10, 90), Boundary("第二 句。", 120, 200)]
    timings = align_sentences(["第一句。 ", "第二句。"], boundaries, 300)
    assert timings is not None
    assert [(t.start_frame, t.end_frame) for t in timings] == [(10, 90), (120, 200)]
    assert align_sentences(["第一句。"], [Boundary("完全不同", 0, 10)], 300) is None
    assert align_sentences(["第一句。"], [], 300) is None
    assert align_sentences(["第一句。"], [Boundary("第一句。", 90_000, 99_000)], 300) is None


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 12), min_size=1, max_size=8),
    cuts=st.lists(st.integers(1, 60), max_size=6),
    frames=st.integers(100, 100_000),
)
def test_align_gives_one_ordered_timing_per_sentence(
    lengths: list[int], cuts: list[int], frames: int
) -> None:
    chars = "天地玄黄宇宙洪荒日月盈昃辰宿列张"
    sentences = [
        "".join(chars[(i + j) % len(chars)] for j in range(n)) + "。" for i, n in enumerate(lengths)
    ]
    full = "".join(sentences)
    points = sorted({0, len(full), *(c for c in cuts if c < len(full))})
    boundaries = [
        Boundary(full[a:b], frames * a // len(full), frames * b // len(full))
        for a, b in itertools.pairwise(points)
    ]
    timings = align_sentences(sentences, boundaries, frames)
    assert timings is not None
    assert [t.text for t in timings] == sentences
    previous = 0
    for timing in timings:
        assert previous <= timing.start_frame <= timing.end_frame <= frames
        previous = timing.end_frame


def test_align_tolerates_boundaries_without_punctuation() -> None:
    boundaries = [Boundary("第一句", 100, 400), Boundary("第二句", 600, 900)]
    timings = align_sentences(["第一句。", "第二句！"], boundaries, 1000)
    assert timings is not None
    assert [(t.start_frame, t.end_frame) for t in timings] == [(100, 400), (600, 900)]


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 6), min_size=1, max_size=6),
    seed=st.integers(0, 2**16),
)
def test_align_with_audio_stays_ordered(lengths: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    frames = 24_000
    pcm = (rng.normal(0, 3000, frames) * (rng.random(frames) > 0.5)).astype("<i2").tobytes()
    sentences = ["好" * n + "。" for n in lengths]
    boundaries = [Boundary("".join(sentences), 1000, 20_000)]  # all of ours in one boundary
    timings = align_sentences(sentences, boundaries, frames, pcm)
    assert timings is not None and len(timings) == len(sentences)
    previous = 0
    for timing in timings:
        assert previous <= timing.start_frame <= timing.end_frame <= frames
        previous = timing.end_frame
