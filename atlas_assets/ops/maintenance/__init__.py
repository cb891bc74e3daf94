"""Table maintenance: each tenant's `<tenant>_maintenance` job and schedule from runner.yaml."""
