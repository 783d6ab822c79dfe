"""The one definition of what crosses component boundaries: events, object keys, table names."""
