"""Masking policies: hash (HMAC per tenant), mask (shape kept), redact, keep — applied to Arrow batches."""

from __future__ import annotations

import hashlib
import hmac

import pyarrow as pa
import pytest
import yaml

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import parse_runner_config
from atlas_assets.config.pii_columns import MaskPolicy
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.masking.transform import masking_transform

ACME_SECRET = "acme-secret-0123456789"
GLOBEX_SECRET = "globex-secret-9876543210"


def specs_for(
    pii: object, secrets: dict[str, str | None], pii_scan: dict | None = None
) -> dict[str, ObjectSpec]:
    """`customers` of one tenant per entry of `secrets`, each declaring `pii`, via the real loader."""
    customers = {"cursor": "updated_at", "pii": pii, **({"pii_scan": pii_scan} if pii_scan else {})}
    tenants = {}
    for tenant, secret in secrets.items():
        tenants[tenant] = {
            **({"privacy": {"secret": secret}} if secret else {}),
            "sources": {
                "shop": {
                    "kind": "sql",
                    "url": "sqlite:///shop.db",
                    "objects": {"customers": customers},
                }
            },
        }
    document = {"defaults": {"partitions": {"start": "2026-01-01"}}, "tenants": tenants}
    _, specs = parse_runner_config(yaml.safe_dump(document), "runner.yaml", {})
    return {spec.tenant: spec for spec in specs}


def masked(spec: ObjectSpec, columns: dict[str, list]) -> dict[str, list]:
    transform = masking_transform(spec)
    assert transform is not None
    return transform(pa.RecordBatch.from_pydict(columns)).to_pydict()


def test_hash_is_hmac_sha256_hex_of_the_value_with_the_tenant_secret():
    spec = specs_for({"email": "hash"}, {"acme": ACME_SECRET})["acme"]

    result = masked(spec, {"email": ["jane@example.com"]})

    expected = hmac.new(ACME_SECRET.encode(), b"jane@example.com", hashlib.sha256).hexdigest()
    assert result["email"] == [expected]


def test_hash_gives_the_same_value_in_every_batch_so_joins_still_work():
    spec = specs_for({"email": "hash"}, {"acme": ACME_SECRET})["acme"]

    first = masked(spec, {"email": ["jane@example.com", "joe@example.com"]})
    second = masked(spec, {"email": ["joe@example.com"]})

    assert first["email"][1] == second["email"][0]


def test_hash_differs_between_tenants_for_the_same_value():
    specs = specs_for({"email": "hash"}, {"acme": ACME_SECRET, "globex": GLOBEX_SECRET})

    acme = masked(specs["acme"], {"email": ["jane@example.com"]})
    globex = masked(specs["globex"], {"email": ["jane@example.com"]})

    assert acme["email"] != globex["email"]


def test_hash_keeps_nulls_null():
    spec = specs_for({"email": "hash"}, {"acme": ACME_SECRET})["acme"]

    assert masked(spec, {"email": [None, "a@b.c"]})["email"][0] is None


def test_hash_of_a_number_hashes_its_text_so_it_matches_the_same_id_stored_as_text():
    spec = specs_for({"customer_id": "hash"}, {"acme": ACME_SECRET})["acme"]

    as_int = masked(spec, {"customer_id": pa.array([42], pa.int64())})
    as_text = masked(spec, {"customer_id": ["42"]})

    assert as_int["customer_id"] == as_text["customer_id"]


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        ("jane.doe@example.com", "j***@e***.com"),
        ("x@mail.example.co.uk", "x***@m***.uk"),
        ("+1 (415) 555-0123", "+* (***) ***-0123"),
        ("4111 1111 1111 1111", "**** **** **** 1111"),
        ("123-45-6789", "***-**-6789"),
        ("12-345", "**-***"),
        ("Jane O'Neil", "J*** O***"),
        ("Émile Zola", "É*** Z***"),
    ],
)
def test_mask_keeps_the_shape_and_hides_the_content(value, shape):
    spec = specs_for({"contact": "mask"}, {"acme": None})["acme"]

    assert masked(spec, {"contact": [value]})["contact"] == [shape]


def test_redact_without_a_token_nulls_the_column_and_keeps_its_type():
    spec = specs_for({"birth_year": "redact"}, {"acme": None})["acme"]
    transform = masking_transform(spec)
    assert transform is not None

    batch = transform(pa.RecordBatch.from_pydict({"birth_year": pa.array([1980, 1991], pa.int32())}))

    assert batch.column("birth_year").to_pylist() == [None, None]
    assert batch.schema.field("birth_year").type == pa.int32()


def test_redact_with_a_replacement_replaces_every_value_but_nulls():
    spec = specs_for({"notes": {"policy": "redact", "replacement": "[removed]"}}, {"acme": None})["acme"]

    assert masked(spec, {"notes": ["call me", None]})["notes"] == ["[removed]", None]


def test_keep_and_undeclared_columns_pass_through_unchanged():
    spec = specs_for({"email": "hash", "full_name": "keep"}, {"acme": ACME_SECRET})["acme"]

    result = masked(spec, {"email": ["a@b.c"], "full_name": ["Jane Doe"], "status": ["paid"]})

    assert result["full_name"] == ["Jane Doe"]
    assert result["status"] == ["paid"]


def test_a_declared_column_missing_from_the_batch_is_skipped():
    spec = specs_for({"email": "hash", "phone": "mask"}, {"acme": ACME_SECRET})["acme"]

    result = masked(spec, {"email": ["a@b.c"]})

    assert list(result) == ["email"]


def test_no_transform_when_every_declared_column_is_kept():
    spec = specs_for(["email", "full_name"], {"acme": None})["acme"]

    assert {rule.policy for rule in spec.config.pii.values()} == {MaskPolicy.KEEP}
    assert masking_transform(spec) is None


def test_no_on_write_transform_when_the_object_masks_in_silver():
    spec = specs_for({"email": "mask"}, {"acme": None}, pii_scan={"masking": "silver"})["acme"]

    assert masking_transform(spec) is None


def test_hash_without_a_tenant_secret_is_a_config_error_naming_the_setting():
    with pytest.raises(RunnerConfigError, match=r"privacy\.secret is required: shop\.customers"):
        specs_for({"email": "hash"}, {"acme": None})


def test_a_short_secret_is_rejected_without_showing_it():
    with pytest.raises(RunnerConfigError) as error:
        specs_for({"email": "hash"}, {"acme": "short-secret"})

    assert "at least 16 characters" in str(error.value)
    assert "short-secret" not in str(error.value)


def test_hashing_a_column_declared_as_a_number_is_a_config_error():
    customers = {"column_types": {"customer_id": "int64"}, "pii": {"customer_id": "hash"}}
    document = {
        "tenants": {
            "acme": {
                "privacy": {"secret": ACME_SECRET},
                "sources": {
                    "shop": {
                        "kind": "sql",
                        "url": "sqlite:///shop.db",
                        "objects": {"customers": customers},
                    }
                },
            }
        }
    }

    with pytest.raises(RunnerConfigError, match="policy 'hash' writes text"):
        parse_runner_config(yaml.safe_dump(document), "runner.yaml", {})


def test_masking_the_cursor_column_is_a_config_error():
    with pytest.raises(RunnerConfigError, match="is the cursor"):
        specs_for({"updated_at": "redact"}, {"acme": None})


def test_a_primary_key_column_can_be_hashed_but_not_masked():
    customers = {"cursor": "updated_at", "primary_key": ["email"], "pii": {"email": "mask"}}
    source = {"kind": "sql", "url": "sqlite:///s.db", "objects": {"c": customers}}
    tenants = {"acme": {"sources": {"shop": source}}}
    document = {"defaults": {"partitions": {"start": "2026-01-01"}}, "tenants": tenants}

    with pytest.raises(RunnerConfigError, match="primary key: 'mask' makes keys collide"):
        parse_runner_config(yaml.safe_dump(document), "runner.yaml", {})


def test_hash_of_a_column_with_many_repeats_matches_hmac_of_each_value():
    spec = specs_for({"country": "hash"}, {"acme": ACME_SECRET})["acme"]
    countries = ["FR", "DE", None, "US"] * 1_000

    result = masked(spec, {"country": countries})

    key = ACME_SECRET.encode()
    expected = {c: hmac.new(key, c.encode(), hashlib.sha256).hexdigest() for c in ("FR", "DE", "US")}
    assert result["country"] == [None if c is None else expected[c] for c in countries]


def test_a_batch_sliced_from_a_larger_table_is_masked_like_the_same_values_alone():
    spec = specs_for({"phone": "mask"}, {"acme": None})["acme"]
    phones = ["+1 (415) 555-0123", None, "12-345", "4111 1111 1111 1111", "Jane Doe"] * 3
    transform = masking_transform(spec)
    assert transform is not None

    batches = pa.table({"phone": phones}).to_batches(max_chunksize=4)

    sliced = [value for batch in batches for value in transform(batch).column("phone").to_pylist()]
    assert sliced == masked(spec, {"phone": phones})["phone"]
