"""Route permissions for the geography area: every signed-in role may see the borough pages."""

from tests.routes import ALL, C

ROUTES = {
    "geography.list_boroughs": ALL,
    "geography.show_borough": ALL,
    "geography.import_boundaries": {C},
    "geography.confirm_boundaries": {C},
}
