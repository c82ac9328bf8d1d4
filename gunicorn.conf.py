"""gunicorn settings read from the working directory: keep one-time link tokens out of the access log,
and keep the garbage collector off the objects every worker holds for its whole life.

Start with `.venv/bin/gunicorn 'app:create_app()'` from the repository folder (docs/deployment.md);
command-line options such as --workers and --bind still apply on top of this file.
"""


def post_worker_init(worker):
    """Each worker writes its own access log lines, so each installs the redacting filter."""
    from coordination.logs import install

    install("gunicorn.access", "gunicorn.error")
    freeze_startup_objects()


def freeze_startup_objects():
    """Move everything the app holds from its start (modules, models, templates) out of the collector's sight.

    Python's cyclic collector otherwise walks those hundreds of thousands of objects in every full
    collection, which allocation-heavy requests (maps, exports) trigger again and again; frozen objects
    are never freed, which is what they would be anyway. docs/performance.md has the figures.
    """
    import gc

    gc.collect()
    gc.freeze()
