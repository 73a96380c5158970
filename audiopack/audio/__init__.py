"""Audio stage: the audio of each segment an engine synthesised is trimmed and laid out with
exact pauses on the encoders' common frame grid (:mod:`~audiopack.audio.layout`), brought to
the target loudness (:mod:`~audiopack.audio.loudness`) and encoded once into a cached *piece*
(:mod:`~audiopack.audio.pieces`, :mod:`~audiopack.audio.codec`); jingles are the user's own
audio treated the same way. :mod:`~audiopack.audio.ffmpeg` is the one place the ffmpeg
program is found and run."""
