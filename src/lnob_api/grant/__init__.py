"""The grant domain: opening a dataset, or all of a coalition's data, to a named grantee."""
