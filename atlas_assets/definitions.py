"""The code location's entry point: `dagster dev -m atlas_assets.definitions`."""

from atlas_assets.config.errors import RunnerConfigError, show_alone_if_uncaught
from atlas_assets.factory.definitions import definitions_from_file

try:
    defs = definitions_from_file()
except RunnerConfigError as error:
    show_alone_if_uncaught(error)
    # Raised afresh from here: the loader's frames say nothing the problems don't, and Dagster
    # shows every frame below its own.
    raise error.with_traceback(None) from None
