"""The fault soak: steady simulated traffic through the stack while services are killed and
restarted at random, then every acknowledged event accounted for (`bench/soak.py`,
`tests/e2e/test_fault_soak.py`)."""
