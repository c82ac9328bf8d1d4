"""Geography area: borough pages and the `flask geo` commands, built on the geo library."""
