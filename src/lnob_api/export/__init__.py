"""Bulk exports of observations (CSV) and the SQL shared by every bulk read path."""
