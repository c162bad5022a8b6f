"""Observations: the data points of datasets, with their periods and disaggregations."""
