"""The HTTP layer every API source stands on: client, auth, pagination, retries, records → Arrow."""
