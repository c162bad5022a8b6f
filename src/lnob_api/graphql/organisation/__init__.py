"""GraphQL types and queries of the organisation domain."""
