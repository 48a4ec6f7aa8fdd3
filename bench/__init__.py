"""Benchmarks: each module prints figures against its target (`make bench`)."""
