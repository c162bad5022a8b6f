"""GraphQL mutations of the user domain: coalition roles."""
