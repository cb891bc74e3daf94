"""The code location's entry point: `dagster dev -m atlas_assets.definitions`."""

from atlas_assets.factory.definitions import definitions_from_file

defs = definitions_from_file()
