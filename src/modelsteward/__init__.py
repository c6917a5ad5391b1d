"""modelsteward: keep machine-learning models healthy in production."""
__version__ = "0.1.0"
