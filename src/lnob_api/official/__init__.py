"""Official reference values, imported from CSV, beside community values."""
