"""GraphQL types and queries of the publication domain."""
