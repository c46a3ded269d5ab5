"""cpython-release: a reproducible, verifiable CPython release pipeline."""

__version__ = "0.1.0"
