"""chuhai: the open-source platform for full-custody cross-border commerce."""

__version__ = "0.1.0"
