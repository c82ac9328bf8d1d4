"""The default basemap tiles and their attribution, kept apart from geo.maps so that reading them loads no
map library (a page that only shows the attribution beside a stored map frame)."""

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
