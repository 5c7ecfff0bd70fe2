"""aidnews_reader: a PostgreSQL role that can read every aidnews table and view, and change nothing

Analysts, dashboards and aidnews's own read commands should not hold a role that can write. The role is
NOLOGIN: nobody connects as it with a password kept somewhere; a login role is made a member of it (`GRANT
aidnews_reader TO alice`) and reads with its privileges, or a connection of the owner switches to it with
`SET ROLE aidnews_reader` (aidnews's read-only engine does this on every connection). docs/deploy.md says how.

Roles belong to the whole cluster, databases do not: the role is created only when missing (two databases
migrating at once may race to create it; the loser takes the winner's), and everything else is granted in
this database only: CONNECT, USAGE on the schema, SELECT on every table and view, and the same SELECT on
tables and views the migrating user creates later (default privileges), so later migrations need not grant.
A migrating user who may not create roles gets a warning and no role; aidnews then reads as that user.
The downgrade revokes this database's grants and leaves the role, which other databases may still use.
On SQLite there are no roles: nothing happens.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 18:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "aidnews_reader"

UPGRADE = f"""
DO $aidnews$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
        BEGIN
            CREATE ROLE {ROLE} NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;  -- another database's migration made it first
            WHEN insufficient_privilege THEN
                RAISE WARNING 'cannot create the role {ROLE} (the migrating user lacks CREATEROLE): '
                    'aidnews reads as its own user; create the role and run the migration again';
                RETURN;
        END;
    END IF;
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        BEGIN  -- so that this user's connections may SET ROLE {ROLE}
            EXECUTE format('GRANT {ROLE} TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege OR invalid_grant_operation THEN
            RAISE WARNING 'cannot make % a member of {ROLE}: aidnews reads as %', current_user, current_user;
        END;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO {ROLE}', current_database());
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO {ROLE}', current_schema());
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO {ROLE}', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO {ROLE}', current_schema());
END
$aidnews$;
"""

DOWNGRADE = f"""
DO $aidnews$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE SELECT ON TABLES FROM {ROLE}', current_schema());
        EXECUTE format('REVOKE SELECT ON ALL TABLES IN SCHEMA %I FROM {ROLE}', current_schema());
        EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM {ROLE}', current_schema());
        EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM {ROLE}', current_database());
    END IF;
END
$aidnews$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(UPGRADE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DOWNGRADE)
