"""GraphQL types and queries of incremental sync."""
