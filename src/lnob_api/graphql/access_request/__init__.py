"""GraphQL types, queries and mutations of access requests."""
