"""The geo library stands alone: it never imports the Flask app or Flask itself."""

import subprocess
import sys

from tests.geo.conftest import REPO


def test_importing_every_geo_module_loads_neither_flask_nor_coordination():
    code = (
        "import sys, geo.boroughs, geo.postcodes, geo.boundaries, geo.spatial, geo.maps, geo.safe_text;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'coordination')))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
