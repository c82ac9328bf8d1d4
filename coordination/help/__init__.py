"""Help: the user guides in docs/ as pages inside the service, with a search."""
