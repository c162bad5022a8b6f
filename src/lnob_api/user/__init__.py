"""The user domain: accounts, organisation memberships and coalition roles."""
