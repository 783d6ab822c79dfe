"""The embedded stack: real services on loopback, started and stopped as one."""
