"""GraphQL: the disclosure audit and information loss, for coalition admins."""
