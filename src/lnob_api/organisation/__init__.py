"""The organisation domain."""
