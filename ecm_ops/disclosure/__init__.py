"""AI disclosure on published pages, derived from the evidence (issue 12).

- :mod:`.levels`: the levels, the configurable mapping table, the IPTC / schema.org values;
- :mod:`.evidence`: the per-publication record the publication guard writes (one call);
- :mod:`.chain`: the hash chain over a page's records, checked by the verifier;
- :mod:`.present`: what readers, machines, the API and the admin are shown.
"""

from .evidence import record_publication

__all__ = ["record_publication"]
