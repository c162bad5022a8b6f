"""Housekeeping: purging rows that no rule needs any more (``lnob-api purge`` and the server)."""
