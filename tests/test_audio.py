"""Audio building blocks: frame-aligned pieces, stream-copy joins, loudness."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from audio_compare import assert_same_audio, mismatch

from audiopack.audio import codec as audio_codec
from audiopack.audio import layout as audio
from audiopack.audio import loudness
from audiopack.audio.ffmpeg import decode_to_pcm
from audiopack.model import SAMPLE_RATE
from audiopack.output.mp4 import parse_adts


def _noise_piece(content_frames: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    length = audio.aligned_length(content_frames)
    samples = np.zeros(length, dtype="<i2")
    samples[2000:content_frames] = (rng.standard_normal(content_frames - 2000) * 3000).astype("<i2")
    return samples


@pytest.mark.parametrize(
    "codec", [audio_codec.mp3_codec(64), audio_codec.aac_codec(0.9)], ids=["mp3", "aac"]
)
def test_joined_pieces_decode_to_exact_lengths_and_offsets(
    tmp_path: Path, codec: audio_codec.Codec
) -> None:
    pieces = [_noise_piece(n, i) for i, n in enumerate([9000, 30000, 52345])]
    paths = []
    for i, samples in enumerate(pieces):
        path = tmp_path / f"{i}.{codec.suffix}"
        audio_codec.encode_pcm(samples, [(codec, path)])
        paths.append(path)
        data = path.read_bytes()
        if codec.suffix == "mp3":
            frames = audio_codec.mp3_frame_count(data)
        else:
            frames = len(parse_adts(data).sizes)
        assert frames * (576 if codec.suffix == "mp3" else 1024) == len(samples) + audio.ENCODER_PAD
    joined = tmp_path / f"joined.{codec.suffix}"
    joined.write_bytes(b"".join(p.read_bytes() for p in paths))  # stream copy, as the pack does
    decoded = np.frombuffer(decode_to_pcm(joined.read_bytes(), codec.suffix), dtype="<i2")
    expected = sum(len(p) + audio.ENCODER_PAD for p in pieces)
    assert len(decoded) == expected
    delay = audio.MP3_DELAY if codec.suffix == "mp3" else audio.AAC_DELAY
    offset = 0
    for samples in pieces:
        onset = offset + delay + 2000
        before = decoded[onset - 600 : onset - 100].astype(float)
        after = decoded[onset + 100 : onset + 600].astype(float)
        assert np.sqrt(np.mean(before**2)) < 300 < np.sqrt(np.mean(after**2))
        offset += len(samples) + audio.ENCODER_PAD


def test_aligned_length_is_on_the_grid() -> None:
    for content in (0, 1, 9216, 100_000):
        length = audio.aligned_length(content)
        assert length >= content
        assert (length + audio.ENCODER_PAD) % audio.GRID == 0


def test_layout_places_sentences_with_exact_pauses() -> None:
    tone = (np.sin(np.arange(4800) / 5) * 10000).astype("<i2")
    padded = np.concatenate([np.zeros(1200, "<i2"), tone, np.zeros(1200, "<i2")])
    laid = audio.lay_out_piece(
        [padded, None, padded], lead_frames=2400, gap_frames=4800, tail_frames=4800
    )
    (a0, b0), (a1, b1), (a2, _) = laid.spans
    assert a1 == b1 == b0  # the unspoken sentence takes no time
    assert a2 - b0 == 4800
    assert b0 - a0 == pytest.approx(4800 + 2 * audio.TRIM_MARGIN, abs=2)
    assert (len(laid.samples) + audio.ENCODER_PAD) % audio.GRID == 0


def test_loudness_normalisation_hits_target_under_the_ceiling() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(SAMPLE_RATE * 10) / SAMPLE_RATE
    speechy = np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)) ** 4
    spikes = rng.standard_normal(len(t)) * 0.05
    samples = ((speechy + spikes) * 0.2 * 32767).astype("<i2")
    import pyloudnorm

    out = loudness.normalise_loudness(samples)
    measured = pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(out / 32768.0)
    assert measured == pytest.approx(loudness.TARGET_LUFS + loudness.ENCODING_LOSS_LU, abs=0.3)
    assert np.abs(out).max() / 32768 <= loudness.PEAK_LIMIT + 1e-3


def test_silence_is_left_alone() -> None:
    silent = np.zeros(SAMPLE_RATE, dtype="<i2")
    assert np.array_equal(loudness.normalise_loudness(silent), silent)


def test_vectorised_loudness_matches_pyloudnorm() -> None:
    import pyloudnorm

    rng = np.random.default_rng(7)
    t = np.arange(SAMPLE_RATE * 7) / SAMPLE_RATE
    signal = np.sin(2 * np.pi * 330 * t) * (0.2 + 0.8 * (np.sin(2 * np.pi * 0.7 * t) > 0))
    signal[SAMPLE_RATE * 2 : SAMPLE_RATE * 3] = 0.0  # a pause, gated out
    signal += rng.standard_normal(len(t)) * 0.01
    samples = (signal * 0.3 * 32767).astype("<i2")
    expected = pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(samples / 32768.0)
    measured = loudness._gated_loudness(samples / 32768.0, SAMPLE_RATE)
    assert measured == pytest.approx(expected, abs=0.05)


def test_k_weighting_matches_scipys_recursive_filter() -> None:
    from scipy.signal import sosfilt

    for rate, length in [(22_050, 50_000), (24_000, 200_003), (24_000, 900), (44_100, 70_000)]:
        signal = np.random.default_rng(3).standard_normal(length)  # one block, or several
        expected = sosfilt(loudness._k_weighting(rate), signal)  # starting at rest
        filtered = loudness._k_weighted(signal, rate)
        assert filtered.shape == signal.shape
        assert np.allclose(filtered, expected, rtol=0, atol=1e-12)


def test_requests_are_cut_in_the_middle_of_gaps() -> None:
    from audiopack.audio.pieces import widen_to_gaps

    assert widen_to_gaps([(100, 200), (300, 400), (400, 500)], 600) == [
        (0, 250),
        (250, 400),
        (400, 600),
    ]
    assert widen_to_gaps([(5, 8)], 10) == [(0, 10)]
    assert widen_to_gaps([], 10) == []


def _test_mp3(bitrate: int, rate: int) -> bytes:
    """Three seconds of a tone in noise, encoded with LAME by the ffmpeg program."""
    from audiopack.audio.ffmpeg import run_ffmpeg

    rng = np.random.default_rng(bitrate)
    count = rate * 3 + 77
    t = np.arange(count) / rate
    signal = np.sin(2 * np.pi * 330 * t) * 0.3 + rng.standard_normal(count) * 0.05
    return run_ffmpeg(
        ["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0", "-c:a", "libmp3lame",
         "-b:a", f"{bitrate}k", "-write_xing", "0", "-id3v2_version", "0", "-f", "mp3", "pipe:1"],
        stdin=(signal * 32767).astype("<i2").tobytes(),
    )  # fmt: skip


def _priming(rate: int) -> int:
    """One MP3 frame at ``rate`` in samples at SAMPLE_RATE: the priming builds may differ by."""
    return (1152 if rate >= 32000 else 576) * SAMPLE_RATE // rate + 1


MP3_CASES = [(48, SAMPLE_RATE), (128, 48000), (64, 22050)]


@pytest.mark.parametrize(("bitrate", "rate"), MP3_CASES)
def test_in_process_mp3_decoding_matches_the_ffmpeg_command(bitrate: int, rate: int) -> None:
    """Edge audio is decoded in-process; it is what ``ffmpeg -i`` gives (whichever ffmpeg is on
    PATH, up to what differs between decoder builds), so the sentence boundaries (which count the
    decoder's delay) stay where they were."""
    mp3 = _test_mp3(bitrate, rate)
    decoded = audio_codec.decode_mp3(mp3)
    assert_same_audio(decoded, decode_to_pcm(mp3, "mp3"), max_shift=_priming(rate))
    assert abs(len(decoded) // 2 - (rate * 3 + 77) * SAMPLE_RATE / rate) < 3000  # delay, padding


class _DroppingContainer:
    """PyAV's input container, losing the ``drop``-th decoded frame (-1: the last)."""

    def __init__(self, inner: object, drop: int) -> None:
        self._inner, self._drop = inner, drop

    def __enter__(self) -> _DroppingContainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.close()  # type: ignore[attr-defined]

    @property
    def streams(self) -> object:
        return self._inner.streams  # type: ignore[attr-defined]

    def decode(self, **kwargs: int) -> Iterator[object]:
        frames = list(self._inner.decode(**kwargs))  # type: ignore[attr-defined]
        del frames[self._drop]
        yield from frames


@pytest.mark.parametrize(("bitrate", "rate"), MP3_CASES)
@pytest.mark.parametrize("drop", [1, 40, 110, -1])
def test_a_decoder_that_drops_a_frame_fails_the_comparison(
    monkeypatch: pytest.MonkeyPatch, bitrate: int, rate: int, drop: int
) -> None:
    """The tolerance of the test above lets no real error through: the in-process decoder made
    to lose one frame (at the start, in the middle, near or at the end) no longer matches."""
    import av

    mp3 = _test_mp3(bitrate, rate)
    reference = decode_to_pcm(mp3, "mp3")
    real_open = av.open
    monkeypatch.setattr(av, "open", lambda *a, **k: _DroppingContainer(real_open(*a, **k), drop))
    damaged = audio_codec.decode_mp3(mp3)
    assert len(damaged) < len(reference)
    assert mismatch(damaged, reference, max_shift=_priming(rate)) is not None


def test_the_comparison_allows_build_differences_and_nothing_more() -> None:
    rng = np.random.default_rng(7)
    t = np.arange(48_000) / SAMPLE_RATE
    clean = np.sin(2 * np.pi * 220 * t) * 8000 + rng.standard_normal(len(t)) * 800
    pcm = clean.astype(np.int64)
    lsb = pcm + rng.integers(-1, 2, len(pcm))
    assert mismatch(lsb, pcm) is None  # rounding
    rounded = pcm.copy()
    rounded[5000:5576] += rng.integers(-60, 61, 576)  # a granule decoded a little differently
    assert mismatch(rounded, pcm) is None
    primed = np.concatenate([np.zeros(576, np.int64), pcm])
    assert mismatch(primed, pcm, max_shift=577) is None  # a frame of priming
    assert mismatch(primed, pcm) is not None  # ... only where allowed
    twice = np.concatenate([np.zeros(1152, np.int64), pcm])
    assert mismatch(twice, pcm, max_shift=577) is not None  # shifted by more
    assert mismatch(pcm[:-576], pcm, max_shift=577) is not None  # the last frame lost
    assert mismatch(primed[:-576], pcm, max_shift=577) is not None
    dropped = np.concatenate([pcm[:20_000], pcm[20_576:]])
    assert mismatch(dropped, pcm, max_shift=577) is not None
    repeated = np.concatenate([pcm[:20_576], pcm[20_000:-576]])
    assert mismatch(repeated, pcm, max_shift=577) is not None
    garbled = pcm.copy()
    garbled[30_000:30_576] = pcm[10_000:10_576]
    assert mismatch(garbled, pcm, max_shift=577) is not None
    silenced = pcm.copy()
    silenced[40_000:40_576] = 0
    assert mismatch(silenced, pcm) is not None


def test_undecodable_mp3_is_a_tool_error() -> None:
    from audiopack.errors import ToolError

    with pytest.raises(ToolError, match="cannot decode MP3"):
        audio_codec.decode_mp3(b"<html>not audio</html>" * 50)
