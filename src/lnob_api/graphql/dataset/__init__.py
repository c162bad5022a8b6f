"""GraphQL types and queries of the dataset domain."""
