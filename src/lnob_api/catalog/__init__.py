"""A DCAT-AP catalog (JSON-LD) of the datasets a caller may read, for data portals to harvest."""
