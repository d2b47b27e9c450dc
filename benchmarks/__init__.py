"""Benchmarks: timings live here, not in tests (run each as ``python -m benchmarks.<name>``)."""
