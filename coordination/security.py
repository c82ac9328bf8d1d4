"""Security headers and the Content-Security-Policy (with a per-request nonce for inline scripts)."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, g, request


def csp_nonce() -> str:
    """The nonce for this response's inline <script> and <style> tags."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _tile_origin(tile_url: str) -> str:
    parts = urlsplit(tile_url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(tile_url: str) -> str:
    """Scripts and styles from the app only; images also from the map tile server."""
    nonce = csp_nonce()
    images = " ".join(filter(None, ["'self'", "data:", _tile_origin(tile_url)]))
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            # Leaflet and Folium set positions through style attributes; attributes cannot run code.
            "style-src-attr 'unsafe-inline'",
            f"img-src {images}",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


def init_app(app: Flask) -> None:
    """Add the headers to every response."""
    app.add_template_global(csp_nonce)

    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(app.config.get("TILE_URL", "")))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages and data about people must not sit in shared or back-button caches.
        # Payloads with an ETag may be kept by the person's own browser and revalidated (304).
        if "ETag" in headers:
            headers["Cache-Control"] = "private, no-cache"
        elif not request.path.startswith(("/static/", "/vendor/")):
            headers["Cache-Control"] = "no-store"
        return response
