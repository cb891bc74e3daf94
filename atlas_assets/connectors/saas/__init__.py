"""Software-as-a-service sources on their vendors' official SDKs."""
