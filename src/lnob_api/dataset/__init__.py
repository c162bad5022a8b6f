"""The dataset domain."""
