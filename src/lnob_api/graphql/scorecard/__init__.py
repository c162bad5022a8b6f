"""GraphQL face of community scorecards."""
