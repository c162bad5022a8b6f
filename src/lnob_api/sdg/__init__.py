"""The SDG framework: goals, targets, global and custom indicators, and their codes."""
