"""What the domains' use cases and repositories share: ``writes`` for the services (who may
write a coalition's record, loading one for a change, inserting one with its audit event),
``links`` for the repositories (replacing link rows)."""
