"""GraphQL types and queries of the SDG framework."""
