"""Department scorecard: JSON API and the public/steward web page."""
