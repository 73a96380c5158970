#!/usr/bin/env python3
"""The bare Kokoro loop: given requests (JSON: a list of lists of reading strings), run them
one after another through one KokoroEngine (one session), and nothing else: no planning, no
cache, no encoding. Prints one JSON line: requests, sentences, seconds of audio.

    python bench/kokoro_bare.py requests.json [--voice NAME]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from audiopack.engines.kokoro import SAMPLE_RATE, KokoroEngine


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("requests", type=Path)
    parser.add_argument("--voice", default=None)
    args = parser.parse_args()
    requests: list[list[str]] = json.loads(args.requests.read_text("utf-8"))
    engine = KokoroEngine(voice=args.voice) if args.voice else KokoroEngine()
    frames = 0
    for texts in requests:
        frames += engine.synthesize_blocking(texts).frames
    sentences = sum(len(texts) for texts in requests)
    print(json.dumps({"requests": len(requests), "sentences": sentences,
                      "duration": frames / SAMPLE_RATE}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
