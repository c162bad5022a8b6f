"""Provenance of community data: quality criteria, provenance filters, group vocabularies."""
