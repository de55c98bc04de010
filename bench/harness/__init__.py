"""Pieces every benchmark shares: the sandbox process, stores, probes, machine facts."""
