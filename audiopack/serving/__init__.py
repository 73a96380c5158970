"""Serving: ``audiopack serve`` hands a finished pack, or a shelf of packs, read-only over HTTP
to phones on the same network (:mod:`~audiopack.serving.server`), with its file responses
(:mod:`~audiopack.serving.files`), the shelf of packs (:mod:`~audiopack.serving.shelf`) and a
podcast feed (:mod:`~audiopack.serving.feed`). It reads packs; it never builds them."""
