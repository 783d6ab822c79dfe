"""Keeping the warehouse and the lake in shape: raw object lifecycle, backups, rebuilds."""
