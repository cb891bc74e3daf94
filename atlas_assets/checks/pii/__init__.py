"""PII asset checks: Presidio scans over a sample of what was written."""
