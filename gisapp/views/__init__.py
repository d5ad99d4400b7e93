"""The web views (blueprints) of the application."""
