"""What a PII scan loads: Presidio only when a value could hold PII, spaCy's NER model only for names.

Each scan runs in a fresh interpreter (as a run's process is), which reports the check's metadata
and which of Presidio, spaCy and the NER model package its scan imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from atlas_assets.checks.pii.engine import SPACY_MODEL
from atlas_assets_tests.checks.pii.test_pii_scan import people

_SCAN = textwrap.dedent(
    """
    import json, sys
    import pyarrow as pa
    from atlas_assets.checks.pii.check import run_pii_checks
    from atlas_assets_tests.checks.pii.test_pii_scan import object_spec

    columns = json.loads(sys.argv[1])
    (result,) = run_pii_checks(object_spec(), pa.table(columns))
    print(json.dumps({
        "passed": result.passed,
        "undeclared": result.metadata["undeclared_pii"].value,
        "ner_columns": result.metadata["ner_columns"].value,
        "loaded": sorted(m for m in ("presidio_analyzer", "spacy", sys.argv[2]) if m in sys.modules),
    }))
    """
)


def scan_in_fresh_process(columns: dict[str, list[str]]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _SCAN, json.dumps(columns), SPACY_MODEL],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def people_columns(*names: str) -> dict[str, list[str]]:
    return {name: values for name, values in people().items() if name in names}


def test_codes_and_amounts_are_scanned_without_loading_presidio_or_spacy():
    codes = {"order_code": [f"ORD-{i:04d}" for i in range(300)], "amount": [f"{i}.50" for i in range(300)]}

    report = scan_in_fresh_process(codes)

    assert report["passed"] is True
    assert report["loaded"] == []
    assert report["ner_columns"] == []


def test_emails_and_phone_numbers_are_found_without_loading_the_ner_model():
    report = scan_in_fresh_process(people_columns("contact_email", "mobile", "card_number"))

    assert set(report["undeclared"]) == {"contact_email", "mobile", "card_number"}
    assert report["undeclared"]["contact_email"]["EMAIL_ADDRESS"] >= 0.9
    assert report["undeclared"]["mobile"]["PHONE_NUMBER"] >= 0.9
    assert report["ner_columns"] == []
    assert SPACY_MODEL not in report["loaded"]
    assert "presidio_analyzer" in report["loaded"]


def test_a_column_of_names_loads_the_ner_model_and_is_reported_as_person():
    report = scan_in_fresh_process(people_columns("holder", "contact_email"))

    assert report["undeclared"]["holder"]["PERSON"] >= 0.8
    assert report["ner_columns"] == ["holder"]
    assert SPACY_MODEL in report["loaded"]
