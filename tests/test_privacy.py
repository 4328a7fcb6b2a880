"""No plaintext at rest: what the user records never appears in any file Handful keeps."""

from __future__ import annotations

from tests.conftest import Home


def test_distinctive_names_and_notes_never_reach_the_disk(store: Home) -> None:
    name = "Zanzibar Quokka Breeders Guild"
    note = "referral from Philomena Cunningham-Xu about the Antwerp deal"
    store.ok("groups", "add", "facebook:quokka.breeders", "--name", name,
             "--url", "https://www.facebook.com/groups/quokka.breeders/")
    store.ok("record", "referral_received", "--group", "facebook:quokka.breeders",
             "--note", note, "--amount", "987654")
    store.ok("config", "set", "cap", "3")
    assert name in store.ok("groups")  # it is there, readable through Handful
    needles = [name, note, "Quokka", "Cunningham", "quokka.breeders", "987654",
               "referral_received", store.env["HANDFUL_PASSPHRASE"]]
    files = store.files()
    assert len(files) >= 6
    for path in files:
        blob = path.read_bytes()
        for needle in needles:
            for spelling in (needle.encode(), needle.encode("utf-16-le"),
                             needle.lower().encode()):
                assert spelling not in blob, f"{needle!r} found in {path}"
