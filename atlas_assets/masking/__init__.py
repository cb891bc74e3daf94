"""Protecting declared PII columns per policy (hash, mask, redact, keep), on write or in silver assets.

- `atlas_assets.masking.transform.masking_transform(spec)`: the batch transform for the ingest path.
- `atlas_assets.masking.silver.build_silver_assets(specs)`: masked `<object>_silver` assets.
"""
