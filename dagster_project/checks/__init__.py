"""Asset checks that are not tied to one domain: freshness of staging and rollups."""
