"""Geography for Greater Manchester: postcodes, boroughs, boundaries and maps.

This package is deliberately independent of the Flask application: it takes
and returns plain data so it can be used from the CLI, tests and benchmarks.
"""
