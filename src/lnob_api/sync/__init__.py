"""Incremental sync: what changed (updatedSince) and what left a caller's view (tombstones)."""
