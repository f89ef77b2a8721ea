"""Department connectors: the SDK (connectors.sdk) and the 17 city departments (connectors.departments)."""
