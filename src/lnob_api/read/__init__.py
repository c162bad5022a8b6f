"""The declarative read model: keyset pagination and relations, shared by every domain."""
