"""GraphQL types and queries of the observation domain."""
