"""Property tests of audiopack.speech.sentences with hypothesis."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiopack.speech.lexicon import Lexicon
from audiopack.speech.sentences import (
    SPEAKABLE_PUNCTUATION,
    SpeechOptions,
    chunk,
    speech_sentences,
    split_sentences,
    to_speech,
)

PIECES = [
    "我们", "推进", "高质量发展", "银行行长", "还款", "，", "。", "！", "？", "；", "、", "：",
    "……", "“", "”", "《", "》", "（", "）", "\n", " ", "*", "××", "XXX", "○○", "〇〇", "二〇二四",
    "2024-01-05", "3.5%", "-3℃", "10:30", "3-5", "1,234.5", "70", "2023年", "13812345678",
    "5G", "GDP", "&amp;", "<speak>", "😀", "\x00", "\u200b", ",", ".", "!", "?", ";", ":", "~",
    "—", "/", "%", "‰", "¥", "×", "0", "2", "个",
]  # fmt: skip
manuscript = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(PIECES), max_size=30).map("".join),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=30).map("".join),
)
options = st.builds(
    SpeechOptions,
    numbers=st.booleans(),
    placeholder=st.sampled_from(["某", "", "某人"]),
)
SPEAKABLE = re.compile(
    "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3007\U00020000-\U0003134f"
    "A-Za-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
    f"{re.escape(SPEAKABLE_PUNCTUATION)}]*"
)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(manuscript)
def test_split_sentences_concatenates_back(text: str) -> None:
    parts = split_sentences(text)
    assert "".join(parts) == text
    assert all(parts)


@FAST
@given(manuscript, options)
def test_to_speech_total_and_speakable(text: str, opts: SpeechOptions) -> None:
    spoken = to_speech(text, opts)
    assert SPEAKABLE.fullmatch(spoken), spoken
    assert spoken == spoken.strip()
    assert "<" not in spoken and "&" not in spoken


@FAST
@given(manuscript, options)
def test_to_speech_leaves_no_punctuation_runs(text: str, opts: SpeechOptions) -> None:
    spoken = to_speech(text, SpeechOptions(numbers=opts.numbers, lexicon=Lexicon()))
    assert not re.search("[，。！？；：、]{2}", spoken), spoken
    assert not re.match("[，。！？；：、]", spoken), spoken


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manuscript, options, st.integers(min_value=8, max_value=60))
def test_speech_sentences_slices_and_limit(text: str, opts: SpeechOptions, limit: int) -> None:
    sentences = speech_sentences(text, opts, max_chars=limit)
    assert "".join(s.display for s in sentences) == text
    for sentence in sentences:
        assert len(sentence.spoken) <= limit, sentence
        assert sentence.spoken == to_speech(sentence.display, opts)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manuscript, st.integers(min_value=8, max_value=40), st.integers(min_value=0, max_value=80))
def test_chunk_limit_and_order(text: str, limit: int, extra: int) -> None:
    sentences = speech_sentences(text, SpeechOptions(), max_chars=limit)
    groups = chunk(sentences, max_chars=limit + extra)
    assert [s for group in groups for s in group] == list(sentences)
    assert all(group for group in groups)
    for group in groups:
        assert sum(len(s.spoken) for s in group) <= limit + extra
