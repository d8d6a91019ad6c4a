"""The audit log as hash chains, append-only (branch edge-audit).

Each entry gets its chain (the publishing service), its number in the chain and the hash of the entry
before it (`tradeplane.gateway.audit_chain`); entries already stored are chained in the order they
happened. `audit_heads` keeps each chain's last entry. Triggers refuse UPDATE, DELETE and TRUNCATE of
the log and let a head only move forward (the chain still shows what a superuser does with them off).

Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from tradeplane.gateway.audit_chain import GENESIS, Entry, entry_hash

revision = "0005"
down_revision = "0004"

SCHEMA = "gateway"
LOG = f"{SCHEMA}.audit_log"
HEADS = f"{SCHEMA}.audit_heads"

TRIGGERS = f"""
CREATE FUNCTION {SCHEMA}.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE FUNCTION {SCHEMA}.audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.chain <> OLD.chain OR NEW.seq <> OLD.seq + 1 THEN
    RAISE EXCEPTION 'an audit chain head only moves forward by one' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON {LOG}
  FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON {LOG}
  FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.audit_append_only();
CREATE TRIGGER audit_heads_forward BEFORE UPDATE ON {HEADS}
  FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.audit_head_forward();
CREATE TRIGGER audit_heads_keep BEFORE DELETE ON {HEADS}
  FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.audit_append_only();
CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON {HEADS}
  FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.audit_append_only();
"""


def upgrade() -> None:
    for name in ("chain", "prev_hash", "hash"):
        op.add_column("audit_log", sa.Column(name, sa.String(64)), schema=SCHEMA)
    op.add_column("audit_log", sa.Column("seq", sa.BigInteger()), schema=SCHEMA)
    op.create_table(
        "audit_heads",
        sa.Column("chain", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        schema=SCHEMA,
    )
    _chain_existing()
    for name in ("chain", "seq", "prev_hash", "hash"):
        op.alter_column("audit_log", name, nullable=False, schema=SCHEMA)
    op.create_unique_constraint("uq_gateway_audit_chain_seq", "audit_log", ["chain", "seq"], schema=SCHEMA)
    op.execute(TRIGGERS)


def _chain_existing() -> None:
    """Entries stored before chaining: each producer's, in the order they happened."""
    log = sa.table(
        "audit_log",
        *(sa.column(name) for name in ("event_id", "occurred_at", "producer", "actor", "action")),
        *(sa.column(name) for name in ("target", "reason", "details", "chain", "seq", "prev_hash", "hash")),
        schema=SCHEMA,
    )
    heads_table = sa.table(
        "audit_heads", sa.column("chain"), sa.column("seq"), sa.column("hash"), schema=SCHEMA
    )
    conn = op.get_bind()
    fields = [log.c[name] for name in ("event_id", "occurred_at", "producer", "actor", "action", "target")]
    query = sa.select(*fields, log.c.reason, sa.cast(log.c.details, sa.Text).label("details"))
    rows = conn.execute(query.order_by(log.c.occurred_at, log.c.event_id)).all()
    heads: dict[str, tuple[int, str]] = {}
    for row in rows:
        seq, previous = heads.get(row.producer, (0, GENESIS))
        entry = Entry(chain=row.producer, seq=seq + 1, prev_hash=previous, **row._mapping)
        digest = entry_hash(entry)
        conn.execute(
            log.update()
            .where(log.c.event_id == row.event_id)
            .values(chain=entry.chain, seq=entry.seq, prev_hash=previous, hash=digest)
        )
        heads[row.producer] = (entry.seq, digest)
    for chain, (seq, digest) in heads.items():
        conn.execute(heads_table.insert().values(chain=chain, seq=seq, hash=digest))


def downgrade() -> None:
    op.execute(f"DROP TRIGGER audit_log_append_only ON {LOG}")
    op.execute(f"DROP TRIGGER audit_log_no_truncate ON {LOG}")
    op.drop_table("audit_heads", schema=SCHEMA)
    op.execute(f"DROP FUNCTION {SCHEMA}.audit_append_only()")
    op.execute(f"DROP FUNCTION {SCHEMA}.audit_head_forward()")
    op.drop_constraint("uq_gateway_audit_chain_seq", "audit_log", schema=SCHEMA)
    for name in ("chain", "seq", "prev_hash", "hash"):
        op.drop_column("audit_log", name, schema=SCHEMA)
