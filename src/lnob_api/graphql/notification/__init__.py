"""GraphQL types, queries and mutations of the viewer's notifications."""
