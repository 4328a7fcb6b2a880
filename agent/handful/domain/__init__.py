"""The domain: events and the state folded from them. Imports nothing from the store."""
