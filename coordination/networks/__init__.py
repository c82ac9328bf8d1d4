"""Connectedness: who now knows whom, across boroughs and sectors."""
