"""Recommendations to authorities, their responses and status history."""
