"""Data stewardship: department-scoped tokens, the quarantine queue, fixes, rejections, held batches, audit log."""
