"""Pinyin-form engines: the speech stage sends reading strings; the text shown never changes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from conftest import ToneEngine

from audiopack import pipeline
from audiopack.cli import main
from audiopack.config import BuildConfig
from audiopack.pipeline import BuildResult
from audiopack.planning import SpeechMemo
from audiopack.speech.lexicon import builtin_lexicon
from audiopack.speech.reading import reading_version
from audiopack.speech.sentences import SpeechOptions, speech_sentences

# From tests/corpus/11_xuanjiang_bufen.txt.
SENTENCE = "必须坚持以人民为中心的创作导向。"


class PinyinEngine(ToneEngine):
    name = "pinyin-tone"
    input_form = "pinyin"


def test_pinyin_engines_get_reading_strings(tmp_path: Path) -> None:
    script = tmp_path / "讲话.txt"
    script.write_text(f"学习体会\n一、坚持方向\n{SENTENCE}\n", "utf-8")
    engine = PinyinEngine()
    config = BuildConfig(manuscript=script, output_dir=tmp_path / "pack", engine="espeak")
    result = pipeline.build(config, engine=engine)
    assert isinstance(result, BuildResult)
    sent = [text for request in engine.requests for text in request]
    assert (
        "bi4 xu1 jian1 chi2 yi3 ren2 min2 wei2 zhong1 xin1 de5 chuang4 zuo4 dao3 xiang4 。" in sent
    )
    index = json.loads((tmp_path / "pack" / "index.json").read_text("utf-8"))
    texts = [p["text"] for c in index["chapters"] for p in c["points"]]
    assert SENTENCE in texts  # the display text is untouched


def test_memo_key_carries_the_reading_version() -> None:
    text = SpeechMemo(SpeechOptions(input_form="text")).options_key
    pinyin = SpeechMemo(SpeechOptions(input_form="pinyin")).options_key
    assert text != pinyin
    assert len(reading_version()) == 16


def test_memo_keeps_reading_decisions() -> None:
    memo = SpeechMemo(SpeechOptions(input_form="pinyin"))
    first = memo.sentences(SENTENCE)
    again = SpeechMemo(SpeechOptions(input_form="pinyin"), memo.used).sentences(SENTENCE)
    assert first == again
    assert first[0].request.startswith("bi4 xu1")
    assert first[0].spoken == SENTENCE


def test_lexicon_is_a_reading_decision_for_pinyin_engines() -> None:
    options = SpeechOptions(lexicon=builtin_lexicon(), input_form="pinyin")
    (sentence,) = speech_sentences("按时还款。", options)
    assert sentence.spoken == "按时还款。"  # no homophone written into the speech text
    assert sentence.reading == "an4 shi2 huan2 kuan3 。"


def test_outline_speech_json(tmp_path: Path) -> None:
    script = tmp_path / "讲话.txt"
    script.write_text(f"学习体会\n一、坚持方向\n{SENTENCE}增长5%。\n", "utf-8")
    result = CliRunner().invoke(main, ["outline", str(script), "--speech", "--json"])
    assert result.exit_code == 0, result.output
    outline = json.loads(result.output)
    sentences = outline["chapters"][-1]["points"][0]["sentences"]
    assert sentences[0] == {
        "text": SENTENCE,
        "speech": SENTENCE,
        "pinyin": "bi4 xu1 jian1 chi2 yi3 ren2 min2 wei2 zhong1 xin1 de5 chuang4 zuo4 dao3"
        " xiang4 。",
    }
    assert sentences[1]["text"] == "增长5%。"
    assert sentences[1]["speech"] == "增长百分之五。"
    assert sentences[1]["pinyin"] == "zeng1 zhang3 bai3 fen1 zhi1 wu3 。"


def test_input_form_table_matches_the_engines() -> None:
    from audiopack.engines import input_form
    from audiopack.engines.edge import EdgeEngine
    from audiopack.engines.espeak import EspeakEngine
    from audiopack.engines.kokoro import KokoroEngine

    assert input_form("espeak") == EspeakEngine.input_form == "pinyin"
    assert input_form("kokoro") == KokoroEngine.input_form == "pinyin"
    assert input_form("edge") == getattr(EdgeEngine, "input_form", "text") == "text"


def test_outline_speech_json_for_edge_has_no_pinyin(tmp_path: Path) -> None:
    script = tmp_path / "讲话.txt"
    script.write_text(f"学习体会\n一、坚持方向\n{SENTENCE}\n", "utf-8")
    args = ["outline", str(script), "--speech", "--json", "--engine", "edge"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    sentences = json.loads(result.output)["chapters"][-1]["points"][0]["sentences"]
    assert sentences == [{"text": SENTENCE, "speech": SENTENCE, "pinyin": None}]
