"""Benchmarks; run them as scripts from the repository root (see bench/pages.py)."""
