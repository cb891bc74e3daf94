"""A run's process skips the collector's shutdown pass, after every exit handler it registered."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import atexit, gc
    from atlas_assets.factory.process_exit import skip_final_collection

    atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0, flush=True))
    skip_final_collection()
    skip_final_collection()  # every op of the process calls it
    atexit.register(lambda: print("frozen in a later handler:", gc.get_freeze_count() > 0, flush=True))
    """
)


def run_script() -> list[str]:
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    return completed.stdout.splitlines()


def test_the_heap_is_frozen_only_after_the_handlers_registered_later_ran():
    assert run_script() == ["frozen in a later handler: False", "frozen at exit: True"]
