"""Community scorecards: community, provider and agreed scores side by side; action plans."""
