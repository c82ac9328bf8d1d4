"""Keep one-time link tokens out of logs.

A set-up or reset link carries its token in the address. The app swaps it for the browser's session on
the first visit (accounts.set_password), but that first request line still reaches the access log of
the development server (werkzeug) and of gunicorn. This filter rewrites such lines before they are
written. gunicorn.conf.py installs it on gunicorn's access log; create_app installs it on werkzeug's.
"""

from __future__ import annotations

import logging
import re

# /set-password/<token> and any future one-time link under the same shape.
TOKEN_PATH = re.compile(r"(/set-password/)[^\s?\"'/]+")
REDACTED = r"\1[redacted]"


def redact(text: str) -> str:
    """The text with link tokens replaced by [redacted]."""
    return TOKEN_PATH.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """A logging filter that redacts link tokens from the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {
                key: redact(value) if isinstance(value, str) else value for key, value in record.args.items()
            }
        elif isinstance(record.args, tuple):
            record.args = tuple(redact(value) if isinstance(value, str) else value for value in record.args)
        return True


def install(*logger_names: str) -> None:
    """Add the filter (once) to each named logger."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
