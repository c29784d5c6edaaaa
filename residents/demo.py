"""What every app's demo data shares: the demo password, demo ID numbers and the stand-in for a scanned document.

The demo is loaded by `manage.py seed_demo` (permits: the accounts, the family and the permit journey), then each
service's own demo command; `make run` runs them all."""

from __future__ import annotations

import datetime

from .pii import id_number_check_character

DEMO_PASSWORD = "yuean-demo-2026"  # noqa: S105 — printed for the demo on purpose



# What stands in for a scanned document in the demo applications: a one-page PDF.
DEMO_DOCUMENT = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)



def demo_id_number(prefix6: str, birth: datetime.date, sequence: int) -> str:
    first17 = f"{prefix6}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_number_check_character(first17)
