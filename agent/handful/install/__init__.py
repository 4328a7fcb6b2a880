"""Registering Handful with the browsers and the session: host manifests, autostart."""
