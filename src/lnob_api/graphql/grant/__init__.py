"""GraphQL types and mutations of access grants."""
