"""Disclosure control beyond one threshold: secondary suppression of complementary cells.

``secondary`` is the algorithm (pure), ``repository`` its SQL, ``service`` the entry points:
``recompute(db, dataset_id)`` after a version's observations change (publish, uploads) and
``recompute_coalition(db, coalition_id)`` after the coalition's threshold changes.
"""
