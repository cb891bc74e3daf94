"""GDPR erasure: the `gdpr_erase` job (`job.py`) and how a table stores a subject (`subject_rows.py`)."""

from atlas_assets.gdpr.job import (
    JOB_NAME,
    SALT_ENV_VAR,
    GdprEraseConfig,
    build_gdpr_erase_job,
    subject_fingerprint,
)

__all__ = ["JOB_NAME", "SALT_ENV_VAR", "GdprEraseConfig", "build_gdpr_erase_job", "subject_fingerprint"]
