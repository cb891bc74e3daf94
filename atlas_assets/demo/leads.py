"""A deliberately dirty `leads.csv`, for the quality and PII checks to catch.

Its defects are placed by row number, not by chance, so their counts are exact:
null and repeated ids, malformed emails, a free-text `notes` column holding names and phone
numbers nobody declared as personal data, stale dates (years old) and dates that do not parse.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from atlas_assets.demo.shop import SEED, email_local_part
from atlas_assets.demo.vocabulary import COMPANIES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, LEAD_SOURCES

LEADS = 150
LEAD_COLUMNS = ("lead_id", "email", "company", "source", "created_at", "notes")

_INVALID_EMAILS = (
    "{local}",
    "{local}@",
    "@{domain}",
    "{local}(at){domain}",
    "{local}@@{domain}",
    "{local}@{domain}.",
)
_PHONES = ("+1 415-555-01{n:02d}", "+33 6 12 34 56 {n:02d}", "+44 20 7946 09{n:02d}", "(212) 555-01{n:02d}")
_PII_NOTES = (
    "Call {name} back on {phone}",
    "Spoke with {name} ({phone}), wants a quote",
    "Voicemail for {name}: {phone}",
)
_PLAIN_NOTES = ("Interested in bulk pricing", "Asked for a tasting box", "Follow up after the trade show")
_UNPARSEABLE_DATES = ("unknown", "2026-02-30", "31/03/2026")


@dataclass(frozen=True)
class LeadDefects:
    """How many rows of leads.csv carry each defect (a row may carry several)."""

    null_ids: int
    duplicate_ids: int
    invalid_emails: int
    notes_with_pii: int
    stale_dates: int
    unparseable_dates: int


def lead_rows() -> tuple[list[list[str]], LeadDefects]:
    """The rows of leads.csv (without header) and the count of each defect in them."""
    rng = random.Random(f"{SEED}:leads")
    rows: list[list[str]] = []
    counts = dict.fromkeys(LeadDefects.__dataclass_fields__, 0)
    for i in range(LEADS):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local, domain = email_local_part(first, last), rng.choice(EMAIL_DOMAINS)
        lead_id = f"L{1000 + i}"
        if i % 29 == 5:
            lead_id, counts["null_ids"] = "", counts["null_ids"] + 1
        elif i % 23 == 17 and rows[i - 3][0]:
            lead_id, counts["duplicate_ids"] = rows[i - 3][0], counts["duplicate_ids"] + 1
        email = f"{local}@{domain}"
        if i % 19 == 4:
            email = _INVALID_EMAILS[i % len(_INVALID_EMAILS)].format(local=local, domain=domain)
            counts["invalid_emails"] += 1
        notes = ""
        if i % 4 == 1:
            phone = _PHONES[i % len(_PHONES)].format(n=rng.randrange(100))
            notes = _PII_NOTES[i % len(_PII_NOTES)].format(name=f"{first} {last}", phone=phone)
            counts["notes_with_pii"] += 1
        elif i % 4 == 3:
            notes = _PLAIN_NOTES[i % len(_PLAIN_NOTES)]
        created = (dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(90))).isoformat()
        if i % 53 == 40:
            created = _UNPARSEABLE_DATES[i % len(_UNPARSEABLE_DATES)]
            counts["unparseable_dates"] += 1
        elif i % 17 == 8:
            created = (dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(3 * 365))).isoformat()
            counts["stale_dates"] += 1
        rows.append([lead_id, email, rng.choice(COMPANIES), rng.choice(LEAD_SOURCES), created, notes])
    return rows, LeadDefects(**counts)
