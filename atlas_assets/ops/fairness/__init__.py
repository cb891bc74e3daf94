"""Tenant fairness: runner.yaml's `concurrency:` limits enforced by Dagster's run queue."""
