"""GraphQL types and queries of the coalition domain."""
