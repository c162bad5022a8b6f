"""Idempotency keys for create requests (see ``service``)."""
