"""Route-permission table for the core pages; each area adds tests/<area>/routes.py with its own ROUTES.

Values: "public" (anyone, signed in or not) or a set of roles allowed (everyone else gets 403,
anonymous visitors are sent to sign in).
"""

C, F, P, U = "coordinator", "finance", "partner", "contributor"
ALL = {C, F, P, U}

ROUTES = {
    "static": "public",
    "assets.vendor": "public",
    "home.index": "public",
    "home.healthz": "public",
    "home.readyz": "public",
    "home.accessibility": "public",
    "home.privacy": "public",
    "audit.audit_log": {C},
    "audit.audit_csv": {C},
    "audit.sent_emails": {C},
}
