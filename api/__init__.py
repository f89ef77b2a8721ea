"""CreditHub HTTP API and web pages (FastAPI). Build the app with api.app.create_app(settings)."""
