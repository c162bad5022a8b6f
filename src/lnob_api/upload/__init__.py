"""Uploads of observations from survey exports (CSV, XLSX)."""
