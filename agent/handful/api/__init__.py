"""The agent's local API: the only way browsers, the CLI and the tray reach the log."""
