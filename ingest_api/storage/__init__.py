"""Durability: the object store client, group commit, and the local spool with its re-upload."""
