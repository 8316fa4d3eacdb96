"""What a transfer carries, frozen at the moment it is sent.

    preview = gather(pupil, sender)                         # what would go (nothing copied)
    snapshot, copies = freeze(transfer, pupil, sender)      # at send: JSON + attachment copies
    entries = read_entries(transfer)                        # the receiver's (checked) view

The snapshot holds the sending school's chronology of the pupil as its DSL may see it (concerns
with their attachments, corrections, reviews, referrals, decisions, updates, case summaries,
transfers, Operation Encompass notices: portal.encompass.chronology), plus, unchanged, any
history this school itself received in earlier transfers, so a child who moves again takes
every school's history along. Each entry names the school where it was recorded. Attachments are
copied into new encrypted files (a later change at the sender
cannot reach the copy) with the SHA-256 of their content, and the snapshot's own SHA-256 is kept
on the transfer and printed on the receipt.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from portal.auth.models import User
from portal.chronology.service import chronology_for
from portal.concerns.models import ConcernAttachment
from portal.db import db
from portal.files import delete_stored, read_chunks, store_upload
from portal.files.models import StoredFile
from portal.orgs.models import LocalAuthority, School
from portal.orgs.service import school_names
from portal.pupils.models import Pupil
from portal.pupils.service import PupilDetails
from portal.transfers.models import Transfer, TransferAttachment, TransferStatus

SNAPSHOT_VERSION = 1
# Chronology entries made from an earlier transfer's snapshot carry this object type (see
# portal.transfers.chronology); they are carried over from the snapshot itself, not re-read.
TRANSFERRED_OBJECT_TYPE = "transferred_entry"


class SnapshotDamaged(RuntimeError):
    """The stored snapshot does not match its recorded hash (no personal data in the message)."""


@dataclass
class AttachmentSource:
    """A file to go with the transfer: the original (at the sender) and which entry it belongs to."""

    stored: StoredFile
    entry_index: int


@dataclass
class Preview:
    entries: list[dict] = field(default_factory=list)
    attachments: list[AttachmentSource] = field(default_factory=list)

    @property
    def schools(self) -> list[str]:
        seen: list[str] = []
        for entry in self.entries:
            if entry["source_school_name"] not in seen:
                seen.append(entry["source_school_name"])
        return seen


def canonical_hash(snapshot: dict) -> str:
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _school_label(school: School) -> str:
    return school.name


def _qualified_names(user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """'Name (Organisation)' for everyone named: the receiver knows none of them."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(User.id, User.display_name, School.name, LocalAuthority.name)
        .outerjoin(School, User.school_id == School.id)
        .outerjoin(LocalAuthority, User.local_authority_id == LocalAuthority.id)
        .where(User.id.in_(user_ids))
    ).all()
    return {uid: f"{name} ({school or la})" if (school or la) else name for uid, name, school, la in rows}


def _own_entries(pupil: Pupil, sender, school: School) -> tuple[list[dict], dict[uuid.UUID, int]]:
    entries = [e for e in chronology_for(pupil, sender) if e.object_type != TRANSFERRED_OBJECT_TYPE]
    names = _qualified_names({e.who_id for e in entries if e.who_id})
    out: list[dict] = []
    concern_entry: dict[uuid.UUID, int] = {}
    for entry in entries:
        if entry.kind == "concern" and entry.object_type == "concern":
            concern_entry[entry.object_id] = len(out)
        out.append(
            {
                "at": entry.at.isoformat(),
                "kind": entry.kind,
                "kind_label": entry.kind_label,
                "summary": entry.summary,
                "who": names.get(entry.who_id, entry.who) if entry.who_id else entry.who,
                "details": [[name, text] for name, text in entry.details],
                "categories": sorted(entry.categories),
                "urgent": entry.urgent,
                "sequence": entry.sequence,
                "source_school_id": str(school.id),
                "source_school_name": _school_label(school),
                "attachments": [],
            }
        )
    return out, concern_entry


def _earlier_transfers(pupil: Pupil) -> list[Transfer]:
    """Files this school received for this pupil (accepted and matched to this record)."""
    return list(
        db.session.execute(
            select(Transfer)
            .where(
                Transfer.receiving_pupil_id == pupil.id,
                Transfer.to_school_id == pupil.school_id,
                Transfer.status == TransferStatus.ACCEPTED,
            )
            .order_by(Transfer.accepted_at)
        ).scalars()
    )


def gather(pupil: Pupil, sender) -> Preview:
    """Everything that would go now: this school's history and what it received before."""
    school = db.session.get(School, pupil.school_id)
    entries, concern_entry = _own_entries(pupil, sender, school)
    preview = Preview(entries=entries)
    if concern_entry:
        rows = db.session.execute(
            select(ConcernAttachment, StoredFile)
            .join(StoredFile, StoredFile.id == ConcernAttachment.stored_file_id)
            .where(ConcernAttachment.concern_id.in_(list(concern_entry)))
            .order_by(ConcernAttachment.added_at, ConcernAttachment.id)
        ).all()
        for attachment, stored in rows:
            preview.attachments.append(AttachmentSource(stored=stored, entry_index=concern_entry[attachment.concern_id]))
    for earlier in _earlier_transfers(pupil):
        earlier_snapshot = read_snapshot(earlier)
        files = {a.position: a for a in earlier.attachments}
        offset = len(preview.entries)
        for entry in earlier_snapshot.get("entries", []):
            carried = dict(entry, attachments=[])
            preview.entries.append(carried)
        for item in earlier_snapshot.get("attachments", []):
            copy = files.get(item["position"])
            if copy is not None:
                stored = db.session.get(StoredFile, copy.stored_file_id)
                preview.attachments.append(AttachmentSource(stored=stored, entry_index=offset + item["entry"]))
    # Newest first, as on a chronology; attachments follow their entries.
    order = sorted(range(len(preview.entries)), key=lambda i: (preview.entries[i]["at"], preview.entries[i].get("sequence", 0)), reverse=True)
    new_index = {old: new for new, old in enumerate(order)}
    preview.entries = [preview.entries[i] for i in order]
    for source in preview.attachments:
        source.entry_index = new_index[source.entry_index]
    return preview


class _HashingStream:
    """A read()-able stream over decrypted chunks that hashes what passes through it."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._buffer = b""
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        self.sha256.update(out)
        return out


def _copy(stored: StoredFile, sender) -> tuple[StoredFile, str]:
    stream = _HashingStream(read_chunks(stored))
    # The original was accepted when it was uploaded: its size is the limit for the copy.
    copy = store_upload(stream, filename=stored.original_name, uploaded_by=sender, limit=max(stored.size_bytes, 1))
    return copy, stream.sha256.hexdigest()


def _pupil_facts(pupil: Pupil) -> dict:
    facts = {}
    for name in PupilDetails.PERSONAL:
        value = getattr(pupil, name)
        facts[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return facts


def _enrolments(pupil: Pupil) -> list[dict]:
    names = school_names(e.school_id for e in pupil.enrolments)
    return [
        {
            "school_id": str(e.school_id) if e.school_id else None,
            "school_name": names.get(e.school_id) if e.school_id else e.other_school_name,
            "start_date": e.start_date.isoformat(),
            "end_date": e.end_date.isoformat() if e.end_date else None,
        }
        for e in pupil.enrolments
    ]


def freeze(transfer: Transfer, pupil: Pupil, sender, sent_at: datetime) -> dict:
    """Copy the attachments and store the snapshot on the transfer (the caller commits).

    Raises FileRefused if an attachment cannot be copied (nothing is half-sent: the caller's
    transaction rolls back and the copies already written are deleted with it).
    """
    preview = gather(pupil, sender)
    school = db.session.get(School, transfer.from_school_id)
    attachments = []
    for position, source in enumerate(preview.attachments, start=1):
        copy, digest = _copy(source.stored, sender)
        db.session.add(copy)
        db.session.flush()
        transfer.attachments.append(
            TransferAttachment(transfer_id=transfer.id, stored_file_id=copy.id, position=position, sha256=digest)
        )
        preview.entries[source.entry_index]["attachments"].append(position)
        attachments.append(
            {
                "position": position,
                "entry": source.entry_index,
                "name": source.stored.original_name,
                "content_type": source.stored.content_type,
                "size_bytes": source.stored.size_bytes,
                "sha256": digest,
            }
        )
    snapshot = {
        "version": SNAPSHOT_VERSION,
        "transfer_id": str(transfer.id),
        "sent_at": sent_at.isoformat(),
        "sent_by": _qualified_names({sender.id}).get(sender.id, sender.display_name),
        "from_school": {"id": str(school.id), "name": school.name, "urn": school.urn},
        "pupil": _pupil_facts(pupil),
        "enrolments": _enrolments(pupil),
        "entries": preview.entries,
        "attachments": attachments,
    }
    transfer.snapshot = snapshot
    transfer.snapshot_sha256 = canonical_hash(snapshot)
    return snapshot


def read_snapshot(transfer: Transfer) -> dict:
    """The snapshot as sent, checked against its hash."""
    snapshot = transfer.snapshot
    if snapshot is None:
        return {}
    if canonical_hash(snapshot) != transfer.snapshot_sha256:
        raise SnapshotDamaged("transfer snapshot does not match its hash")
    return snapshot


def discard_copies(transfer: Transfer) -> None:
    """A transfer rejected and sent again: the first copies go (nobody ever opened them)."""
    for attachment in list(transfer.attachments):
        stored = db.session.get(StoredFile, attachment.stored_file_id)
        transfer.attachments.remove(attachment)
        db.session.delete(attachment)
        db.session.flush()
        if stored is not None:
            delete_stored(stored)
    transfer.snapshot = None
    transfer.snapshot_sha256 = None


__all__ = ["Preview", "SnapshotDamaged", "TRANSFERRED_OBJECT_TYPE", "canonical_hash", "discard_copies",
           "freeze", "gather", "read_snapshot"]
