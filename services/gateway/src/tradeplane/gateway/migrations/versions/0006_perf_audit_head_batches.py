"""An audit chain's head moves forward by a whole batch at once (branch perf-audit).

The chain writer appends a batch of entries and moves the head past all of them in one statement
(group commit), so the head may now move forward by any number of entries, still never back nor to
another chain. A head moved beyond the stored entries shows in `tradeplane audit verify` (entries cut
off the end).

Create Date: 2026-12-08
"""

from alembic import op

revision = "0006"
down_revision = "0005"

SCHEMA = "gateway"


def _forward(condition: str, message: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {SCHEMA}.audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.chain <> OLD.chain OR {condition} THEN
    RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
"""


def upgrade() -> None:
    op.execute(_forward("NEW.seq <= OLD.seq", "an audit chain head only moves forward"))


def downgrade() -> None:
    op.execute(_forward("NEW.seq <> OLD.seq + 1", "an audit chain head only moves forward by one"))
