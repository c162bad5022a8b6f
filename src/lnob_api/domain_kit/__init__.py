"""What the domains' use cases and repositories share: ``writes`` for the services (who may
write a coalition's record, loading one for a change, inserting one with its audit event),
``sql`` for the repositories (newest-first sources, link rows, the SDG target filter)."""
