"""Asset checks on the data each run writes: quality contracts (Soda) and PII scans (Presidio)."""
