"""Validation with great-expectations: custom identifier expectations, suites from JSON,
row-level failure extraction, the batch hold policy and Data Docs."""
