"""Output stage: encoded pieces are placed on the chapter and book timelines
(:mod:`~audiopack.output.timeline`) and assembled into the pack (:mod:`~audiopack.output.assemble`):
chapter MP3s, the M4B and book MP3 with their tags and cover, the text files, the player page
and ``index.json``, committed crash-safely through the pack folder
(:mod:`~audiopack.output.pack`). :mod:`~audiopack.output.packs` reads a finished pack back."""
