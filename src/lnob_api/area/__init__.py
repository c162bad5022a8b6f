"""The area domain."""
