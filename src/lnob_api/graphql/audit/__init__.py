"""GraphQL types and queries of the audit log."""
