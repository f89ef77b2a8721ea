"""Search backends behind one interface: embedded (one machine) and Elasticsearch (production)."""
