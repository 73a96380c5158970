"""audiopack: turn a Chinese speech manuscript into a chaptered audio study pack.

The public API is what this module exports (``__all__``); everything else may change::

    import audiopack

    result = audiopack.build("speech.txt", engine="espeak")
    pack = audiopack.open_pack(result.pack)
    for chapter in pack.chapters:
        print(chapter.title, chapter.duration_s, len(chapter.audio()))
"""

__version__ = "0.1.0"

from audiopack.api import (
    build,
    build_async,
    open_pack_async,
    outline,
    plan,
    plan_async,
)
from audiopack.config import BuildConfig
from audiopack.errors import (
    AudiopackError,
    ConfigError,
    EngineUnavailableError,
    ManuscriptError,
    PackError,
    SynthesisError,
    ToolError,
)
from audiopack.model import Chapter, Manuscript, Point
from audiopack.output.packs import Pack, PackChapter, PackPoint, PackSentence, open_pack
from audiopack.results import BuildResult, DryRunReport

#: What :func:`outline` returns: the manuscript's structure.
Outline = Manuscript

__all__ = [
    "AudiopackError",
    "BuildConfig",
    "BuildResult",
    "Chapter",
    "ConfigError",
    "DryRunReport",
    "EngineUnavailableError",
    "Manuscript",
    "ManuscriptError",
    "Outline",
    "Pack",
    "PackChapter",
    "PackError",
    "PackPoint",
    "PackSentence",
    "Point",
    "SynthesisError",
    "ToolError",
    "__version__",
    "build",
    "build_async",
    "open_pack",
    "open_pack_async",
    "outline",
    "plan",
    "plan_async",
]
