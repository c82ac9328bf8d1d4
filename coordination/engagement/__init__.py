"""Engagement figures, gap index, maps, borough pages, outreach lists and charts."""
