"""Ollive producer SDK."""
