"""GraphQL mutation for uploading observations from a file."""
