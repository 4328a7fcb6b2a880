"""Years of history from the platforms' own data exports (`handful import`).

`archive` finds and reads an export's files (zip, folder, split zips) within stated limits;
`text` repairs their text and reads their titles; `facebook` and `linkedin` turn each
platform's files into facts; `plan` turns facts into events against what the log knows;
`run` writes them as one batch and its commit marker (docs/import.md).
"""
