"""Steward API (/api/v1/steward, JSON) and the Chinese steward console (/steward, server-rendered)."""
