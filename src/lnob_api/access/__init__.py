"""The access policy: the one place where a principal becomes SQL predicates."""
