"""Text stage: a manuscript file (.txt, .md, .docx) is read into normalised text
(:mod:`~audiopack.text.read`) and parsed into a :class:`~audiopack.model.Manuscript` of title,
opening, chapters, points and closing (:mod:`~audiopack.text.structure`). Nothing here knows
about speech or audio: what is displayed is decided here and never changes afterwards."""
