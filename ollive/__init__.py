"""ollive."""
