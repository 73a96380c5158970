"""Speech stage: displayed text becomes what an engine is given. Sentences are split and
grouped into requests (:mod:`~audiopack.speech.sentences`); numbers, codes and symbols are
spelt out (:mod:`~audiopack.speech.numerals`, :mod:`~audiopack.speech.codes`) with the
lexicon's readings (:mod:`~audiopack.speech.lexicon`); for pinyin-form engines the reading
layer (:mod:`~audiopack.speech.reading` with its segmenter, rules and tone changes) decides
each character's syllable. The displayed text is never altered, only the spoken text."""
