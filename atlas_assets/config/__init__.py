"""runner.yaml: loading, validation, interpolation and inheritance.

Import from the submodules (`config.loader`, `config.resolve`, ...): connectors import the
config models, and the loader imports the connector registry, so this package stays empty.
"""
