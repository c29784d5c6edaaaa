"""Benchmarks at district scale: `bench/load.py` seeds PostgreSQL, `bench/run.py` measures (docs/PERFORMANCE.md)."""
