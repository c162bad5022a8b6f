"""SDMX 2.1: structures (dataflows, DSD, code lists) and data in SDMX-ML, SDMX-JSON, SDMX-CSV."""
