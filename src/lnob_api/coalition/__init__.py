"""The coalition domain."""
