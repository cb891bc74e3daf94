"""OpenLineage events for every run, asset materialization and asset check, from Dagster's event log.

`atlas_assets.lineage.definitions.lineage_definitions(config, specs)` returns the sensor that emits
them; the transport (console, file, HTTP to a Marquez-compatible endpoint) comes from
`LineageConfig` (environment variables by default).
"""
