"""Route permissions for Help: every signed-in role reads the guides."""

from tests.routes import ALL

ROUTES = {
    "help.index": ALL,
    "help.guide": ALL,
}
