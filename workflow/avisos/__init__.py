"""The production avisos service: the store, its import, the gate and the download."""
