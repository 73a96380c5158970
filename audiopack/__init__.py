"""audiopack: turn a Chinese speech manuscript into a chaptered audio study pack."""

__version__ = "0.1.0"
