"""Disclosure control: the protection model (README, "Disclosure control: the protection model").

Pure parts: ``primary`` (which cells are small), ``model`` (cells, quantities, protection
levels), ``relations`` (the linear relations an attacker can write), ``audit`` (the attacker's
LP), ``suppression`` (the pattern that leaves nothing narrowed) and ``secondary`` (the per-table
pattern of insiders-only data). ``repository`` is their SQL; ``service`` the entry points:
``recompute`` (publish, visibility, grants), ``recompute_coalition`` (threshold changes),
``audit_coalition`` and ``information_loss``.
"""
