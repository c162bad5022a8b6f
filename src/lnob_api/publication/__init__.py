"""The publication domain."""
