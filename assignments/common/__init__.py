"""Learner-facing support: the numba fast path, gradient checks, test helpers and data."""
