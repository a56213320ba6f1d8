"""Infrastructure helpers (local services for tests and development)."""
