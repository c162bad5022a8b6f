"""GraphQL types and queries of the area domain."""
