"""Source connectors: one module per source kind, all speaking the contract in `contract.py`."""
