"""GraphQL face of official reference values and the comparison."""
