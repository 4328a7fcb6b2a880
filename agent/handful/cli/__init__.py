"""The `handful` command."""
