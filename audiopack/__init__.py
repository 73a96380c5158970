"""audiopack: turn a Chinese speech manuscript into a chaptered audio study pack."""

import os

__version__ = "0.1.0"

# audiopack does no linear algebra, but numpy's OpenBLAS starts a thread pool per core on
# import, which costs more CPU than a no-op rebuild does. A user's own setting wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
