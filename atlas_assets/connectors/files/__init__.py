"""File sources: CSV (and the parser Google Drive CSV reuses)."""
