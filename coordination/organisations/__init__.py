"""Organisations: the directory of VCSE organisations and partners across the ten boroughs."""
