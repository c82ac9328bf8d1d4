"""Route permissions for the geography area: every signed-in role may see the borough pages."""
from tests.routes import ALL

ROUTES = {
    "geography.list_boroughs": ALL,
    "geography.show_borough": ALL,
}
