"""The tray agent: the count against the cap in view, the review a click away, and a
desktop notification when it is due."""
