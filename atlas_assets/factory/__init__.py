"""From resolved runner.yaml objects to Dagster definitions."""
