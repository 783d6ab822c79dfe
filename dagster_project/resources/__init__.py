"""Resources of the pipeline; `build_resources` picks their configuration in one place."""
