"""Catalog entry of Entra terms of use: the agreements conditional access policies make users accept
(`grantControls.termsOfUse` holds agreement ids: catalog/conditional_access.py).

Two facts of Graph v1.0 shape the entry (docs/graph.md, Terms of use):
- Every agreement call is delegated only: termsofusecontainer-list-agreements.md, agreement-get.md,
  termsofusecontainer-post-agreements.md, agreement-update.md and agreement-delete.md list
  Agreement.Read.All / Agreement.ReadWrite.All for "Delegated (work or school account)" and "Not supported"
  for Application. The type is read and written only when entragit signs in as a user (`--auth
  device-code`, a Security Reader to read, a Conditional Access Administrator to write); an app-only run
  leaves its files alone and says why (`delegated_only`).
- The agreement's PDFs are `files` (agreementFileLocalization, "Supports $expand"): the file keeps each
  one's name, language, display name and flags. Graph answers every read with `fileData: null`
  (agreement-list-files.md, agreementfile-get.md): no documented call returns a PDF's bytes, so a backup
  cannot take them. A recreate must POST them (the create page requires `data`): it takes each from the
  file `<id>.<language>.pdf` beside the agreement's YAML (catalog `attachments`), which an admin commits
  once; without it the recreate is refused naming the missing file.
"""

from __future__ import annotations

from entragit.catalog.model import ObjectType, _names

_PATH = "identityGovernance/termsOfUse/agreements"

AGREEMENTS: ObjectType = ObjectType(
    name="agreements",
    path=_PATH,
    select=_names(
        """
        id displayName isViewingBeforeAcceptanceRequired isPerDeviceAcceptanceRequired
        userReacceptRequiredFrequency termsExpiration files
        """
    ),
    # `files` is a navigation property: expanded in the listing, not selected. The v1.0 schema annotates
    # agreement with SelectSupport Supported=false: read whole (six properties).
    send_select=False,
    expand=("files",),
    # Graph's own per file: its id (new on every upload), its upload time and its data (null on every read).
    volatile=_names("files[].id files[].createdDateTime files[].fileData"),
    read_only=("id",),
    # agreement-update.md: "Only the following properties are supported for update": displayName and
    # isViewingBeforeAcceptanceRequired. The rest is set by the create.
    create_only=_names("isPerDeviceAcceptanceRequired userReacceptRequiredFrequency termsExpiration files"),
    unordered=("files:language",),
    # Before the conditional access policies that require them (rank 100).
    rank=90,
    delegated_only=(
        "Graph has no application permission for terms of use agreements (Agreement.Read.All and "
        "Agreement.ReadWrite.All are delegated only): sign in as a user with --auth device-code (a Security "
        "Reader to back them up, a Conditional Access Administrator to restore them)"
    ),
    attachments=("files", "language", "pdf"),
    permissions_backup=("Agreement.Read.All",),
    permissions_restore=("Agreement.ReadWrite.All",),
    notes=(
        "Deleted for good: a deleted agreement is recreated with a new id from its file and its PDFs kept "
        "beside it; users must accept it again (acceptances are not restorable)."
    ),
    recreate_note=(
        "users must accept the recreated agreement again: Graph keeps no acceptances of a deleted one, and a "
        "restore cannot make them"
    ),
)
