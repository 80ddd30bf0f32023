"""textkit: small text utilities, vendored into the example function."""

__version__ = "0.3.1"
