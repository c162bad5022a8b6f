"""Access requests: callers who see a dataset's metadata ask its coalition for the data."""
