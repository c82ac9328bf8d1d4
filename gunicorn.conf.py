"""gunicorn settings read from the working directory: keep one-time link tokens out of the access log.

Start with `.venv/bin/gunicorn 'app:create_app()'` from the repository folder (docs/deployment.md);
command-line options such as --workers and --bind still apply on top of this file.
"""


def post_worker_init(worker):
    """Each worker writes its own access log lines, so each installs the redacting filter."""
    from coordination.logs import install

    install("gunicorn.access", "gunicorn.error")
