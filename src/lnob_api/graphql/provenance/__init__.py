"""GraphQL face of provenance: Provenance, QualityCriterion, their mutations."""
