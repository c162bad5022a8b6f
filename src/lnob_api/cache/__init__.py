"""The response cache of repeated reads (``store``), the write announcements that invalidate it
(``writes``) and the ``LISTEN`` connection through which every worker hears them
(``listener``)."""
