"""GraphQL types and queries of the project domain."""
