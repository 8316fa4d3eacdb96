"""Connector endpoint changes wait for a second LA admin (connector_endpoint_change); the audit
trail becomes a keyed chain (HMAC-SHA256 under the keyring's audit key: existing events are
re-chained under it here, each event records the key it is under), and PostgreSQL refuses
TRUNCATE of audit_event as it refuses UPDATE and DELETE.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 12:00:00

"""
import hashlib
import json
from types import SimpleNamespace

from alembic import op
import sqlalchemy as sa

GENESIS = "0" * 64
BATCH = 2000


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('connector_endpoint_change',
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('base_url', sa.String(length=500), nullable=False),
    sa.Column('secret_changed', sa.Boolean(), nullable=False),
    sa.Column('overlap_hours', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('proposed_by_id', sa.Uuid(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Uuid(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('secret', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_connector_endpoint_change_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_connector_endpoint_change_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user_account.id'], name=op.f('fk_connector_endpoint_change_proposed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_endpoint_change'))
    )
    with op.batch_alter_table('connector_endpoint_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connector_endpoint_change_local_authority_id'), ['local_authority_id'], unique=False)

    # The keyed audit chain: every existing event re-chained under the audit key.
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))
    _rechain_under_the_audit_key(op.get_bind())
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('key_id', existing_type=sa.String(length=16), nullable=False)

    if op.get_bind().dialect.name == 'postgresql':
        # TRUNCATE refused as UPDATE and DELETE are (the function raises 'append-only').
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )


def _old_unkeyed_hash(row) -> str:
    """The chain as it was before this migration: SHA-256, no key (frozen here)."""
    fields = {
        "seq": row.seq,
        "occurred_at": row.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": str(row.actor_id) if row.actor_id else None,
        "organisation_id": str(row.organisation_id) if row.organisation_id else None,
        "action": row.action, "object_type": row.object_type, "object_id": row.object_id,
        "outcome": row.outcome, "detail": row.detail, "ip": row.ip, "request_id": row.request_id,
        "prev_hash": row.prev_hash,
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _rechain_under_the_audit_key(bind) -> None:
    """Check the old unkeyed chain, then MAC every event under the keyring's audit key (the key
    is wrapped by the master key, so this needs the portal's configuration: `flask db upgrade`).
    A chain already broken is not re-chained (that would bless the tampering): the upgrade stops
    and says where."""
    if bind.execute(sa.text("SELECT 1 FROM audit_event LIMIT 1")).first() is None:
        return
    from portal.audit import chain
    from portal.audit.models import AuditEvent

    table = AuditEvent.__table__
    kid, chain_key, _ = chain.current_key(bind)
    postgres = bind.dialect.name == 'postgresql'
    if postgres:
        bind.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
    old_prev, new_prev, last_seq, expected = GENESIS, GENESIS, 0, 1
    while True:
        rows = bind.execute(sa.select(table).where(table.c.seq > last_seq).order_by(table.c.seq).limit(BATCH)).all()
        if not rows:
            break
        for row in rows:
            if row.seq != expected or row.prev_hash != old_prev or _old_unkeyed_hash(row) != row.hash:
                raise RuntimeError(
                    f"The audit chain is already broken at event {expected}: not re-chaining it under the key. "
                    "Investigate with `flask audit verify` on the previous release before upgrading.")
            old_prev = row.hash
            fields = dict(row._mapping)
            fields.update(prev_hash=new_prev, key_id=kid)
            new_hash = chain.mac(chain_key, chain.canonical(chain.event_fields(SimpleNamespace(**fields))))
            bind.execute(table.update().where(table.c.seq == row.seq)
                         .values(prev_hash=new_prev, hash=new_hash, key_id=kid))
            new_prev, last_seq, expected = new_hash, row.seq, expected + 1
    bind.execute(sa.text("UPDATE audit_chain_head SET last_seq = :seq, last_hash = :hash WHERE id = 1"),
                 {"seq": last_seq, "hash": new_prev})
    if postgres:
        bind.execute(sa.text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
    # The events keep their keyed MACs: a downgraded portal's unkeyed `audit verify` will call
    # them altered. Downgrading is for development databases.
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('key_id')

    with op.batch_alter_table('connector_endpoint_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connector_endpoint_change_local_authority_id'))
    op.drop_table('connector_endpoint_change')
