"""Principals, scopes and roles; token issuing and validation."""
