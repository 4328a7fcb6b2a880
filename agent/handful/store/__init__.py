"""The store: encrypted, tamper-evident, crash-safe per-device segment files.

Knows events only as bytes to seal and a decode function; no domain policy lives here.
"""
