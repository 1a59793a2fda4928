"""Benchmarks, run by hand as modules from the repository root (``make bench``)."""
