"""One module per app tab. Tabs hold UI only; the work happens in ``playground``."""
