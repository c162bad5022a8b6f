"""GraphQL types and mutations of OAuth clients."""
