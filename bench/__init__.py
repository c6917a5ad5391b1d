"""Benchmarks for modelsteward, run side by side with the peer tools (never part of the tests).

See ``bench/README.md``: ``python -m bench.run_all`` (``make bench``) runs everything.
"""
