"""GraphQL face of recommendations."""
