"""GraphQL face of the SDG disaggregation gap report."""
