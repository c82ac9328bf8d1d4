"""Entry point: `flask --app app run` and `gunicorn 'app:create_app()'`."""

from coordination import create_app

__all__ = ["create_app"]
