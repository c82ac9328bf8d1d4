"""The service navigation and each role's home-page tasks, as data."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for

from .permissions import Role

C, F, P, U = Role.COORDINATOR, Role.FINANCE, Role.PARTNER, Role.CONTRIBUTOR


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    roles: tuple[Role, ...]
    description: str = ""


# Areas add their entries here; an item whose endpoint does not exist yet is skipped.
NAV_ITEMS = [
    NavItem(
        "organisations.list_organisations",
        "Organisations",
        (C, P),
        "Find, add and map the organisations in each borough.",
    ),
    NavItem(
        "communities.list_communities", "Communities", (C, P), "Communities of practice, their members and events."
    ),
    NavItem(
        "engagement.overview", "Engagement", (C, P), "Engagement figures and gap maps by borough and practice area."
    ),
    NavItem(
        "evaluation.overview",
        "Evaluation",
        (C,),
        "Questionnaires, feedback links and QR codes, typed-in paper forms and the impact report.",
    ),
    NavItem(
        "evaluation.impact_report",
        "Impact",
        (P,),
        "The impact report for your borough: what changed for people and organisations, and who took part.",
    ),
    NavItem(
        "networks.overview",
        "Connections",
        (C,),
        "Who now knows whom: new connections across boroughs and sectors, and who made them possible.",
    ),
    NavItem(
        "networks.borough_ties", "Connections", (P,), "New connections between boroughs, with small numbers protected."
    ),
    NavItem(
        "geography.list_boroughs",
        "Boroughs",
        (C, F, P, U),
        "The ten boroughs on a map, with population and deprivation.",
    ),
    NavItem("terminology.list_concepts", "Terms", (C, P), "Practice areas and the words people use for them locally."),
    NavItem(
        "claims.my_claims", "My claims", (U,), "Claim your involvement fee and expenses, and see what has been paid."
    ),
    NavItem("claims.review_queue", "Claims", (C,), "Review, query and approve contributors' claims."),
    NavItem("claims.finance_queue", "Payments", (F,), "Pay approved claims in batches."),
    NavItem("accounts.list_accounts", "Accounts", (C,), "Create accounts, send set-up links and disable access."),
    NavItem("audit.audit_log", "Audit log", (C,), "Who changed what and when, with the values before and after."),
    NavItem("help.index", "Help", (C, F, P, U), "Guides to the service, and how every figure is worked out."),
]


def items_for(role: Role | None) -> list[NavItem]:
    """Navigation items this role may use and the app actually has."""
    if role is None:
        return []
    return [item for item in NAV_ITEMS if role in item.roles and item.endpoint in current_app.view_functions]


def nav_links(role: Role | None) -> list[dict]:
    """Links for the header, marking the current section."""
    return [
        {
            "href": href,
            "text": label,
            "active": request.path == href or request.path.startswith(href.rstrip("/") + "/"),
        }
        for href, label in _nav_hrefs(role)
    ]


def _nav_hrefs(role: Role | None) -> tuple[tuple[str, str], ...]:
    """(href, label) of the role's items: the same on every page, so built once per role and mount point."""
    from .caching import app_cache

    return app_cache("navigation", maxsize=16).get_or_build(
        (role, request.script_root),
        lambda: tuple((url_for(item.endpoint), item.label) for item in items_for(role)),
    )


def service_navigation(service_name: str, home_url: str, links: list[dict]):
    """The GOV.UK service navigation for these links, rendered once per role and current section.

    The header is the same on every page of a section, so the macro (the costliest part of the layout)
    runs once per distinct set of links instead of on every request.
    """
    from .caching import app_cache

    key = (service_name, home_url, tuple((link["href"], link["text"], link["active"]) for link in links))

    def render():
        macro = current_app.jinja_env.get_template(
            "govuk_frontend_jinja/components/service-navigation/macro.html"
        ).module.govukServiceNavigation
        return macro(
            {
                "serviceName": service_name,
                "serviceUrl": home_url,
                "navigation": links,
                "navigationLabel": "Main menu",
            }
        )

    return app_cache("service navigation", maxsize=64).get_or_build(key, render)
