"""Notifications: messages to one user or client, read through the API."""
