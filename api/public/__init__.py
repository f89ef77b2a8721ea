"""Public read API (/api/v1), reconciliation service and Chinese web pages."""
