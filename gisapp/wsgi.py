"""The WSGI entry point for gunicorn: ``gunicorn gisapp.wsgi:app``."""
from gisapp import create_app

app = create_app()
