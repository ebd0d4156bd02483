import { AuditrailError, GENESIS_HASH } from '@auditrail/core'
import { COMPONENT } from './pg-errors.js'

/** Where the trail lives: a table (optionally schema-qualified) and its chain-head row's table, `<table>_head`. */
export interface TableNames {
  /** The events table, quoted: `"auditrail_events"` or `"audit"."auditrail_events"`. */
  readonly events: string
  /** The chain head table, quoted. */
  readonly head: string
  /** The bare table name, for index and trigger names. */
  readonly base: string
}

/** The default events table. */
export const DEFAULT_TABLE = 'auditrail_events'

/** Validates `table` (`name` or `schema.name`, lowercase identifiers) and quotes it: names are SQL, never data. */
export function tableNames(table: string = DEFAULT_TABLE): TableNames {
  const match = typeof table === 'string' ? /^(?:([a-z_][a-z0-9_]{0,40})\.)?([a-z_][a-z0-9_]{0,40})$/.exec(table) : null
  if (match === null) {
    throw new AuditrailError('options', `table: expected name or schema.name (lowercase letters, digits, _), got ${JSON.stringify(table)}`, { component: COMPONENT, field: 'table' })
  }
  const schema = match[1] === undefined ? '' : `"${match[1]}".`
  const base = match[2] as string
  return { events: `${schema}"${base}"`, head: `${schema}"${base}_head"`, base }
}

/**
 * The migration, idempotent (`IF NOT EXISTS` throughout): the events table, the indexes the CLI's queries use, the
 * trigger that refuses UPDATE, DELETE and TRUNCATE of events for every role, and the chain-head row. Run by the sink
 * unless `migrate: false`; print it to run it yourself as the owner.
 */
export function printMigration(table: string = DEFAULT_TABLE): string {
  const { events, head, base } = tableNames(table)
  return `-- auditrail: one shared, hash-chained audit trail (${base})
CREATE TABLE IF NOT EXISTS ${events} (
  seq            bigint PRIMARY KEY,          -- 1, 2, 3 … one order for every writer
  "timestamp"    text NOT NULL,               -- exactly as hashed: YYYY-MM-DDTHH:MM:SS.ffffffZ for direct writers
  action_type    text NOT NULL,
  status         text NOT NULL CHECK (status IN ('success', 'failed', 'error')),  -- 'error': WeightsLab's notebook failures, kept as written
  details        jsonb NOT NULL,
  error          text,
  actor          text,
  host           text NOT NULL,               -- the writer's (or shipped log's) host identity
  hash           char(64) NOT NULL,           -- chainHash(event fields + seq, prev), as in a file
  prev           char(64) NOT NULL,           -- the previous row's hash (64 zeros before seq 1)
  source_log     text,                        -- shipped events: the local log's identity
  source_ordinal bigint,                      -- shipped events: 1-based position in the local log, oldest first
  local_seq      bigint,                      -- shipped events: the local chain's seq and hash, if any
  local_hash     char(64),
  inserted_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ${base}_shipped_once UNIQUE (host, source_log, source_ordinal)
);
CREATE INDEX IF NOT EXISTS ${base}_action_type ON ${events} (action_type, seq);
CREATE INDEX IF NOT EXISTS ${base}_status ON ${events} (status, seq);
CREATE INDEX IF NOT EXISTS ${base}_timestamp ON ${events} ("timestamp");
CREATE INDEX IF NOT EXISTS ${base}_actor ON ${events} (actor, seq) WHERE actor IS NOT NULL;
CREATE TABLE IF NOT EXISTS ${head} (
  id          smallint PRIMARY KEY CHECK (id = 1),
  seq         bigint NOT NULL,                -- the newest seq (0: none yet)
  hash        char(64) NOT NULL,              -- its hash
  "timestamp" text                            -- the newest timestamp a writer stamped
);
INSERT INTO ${head} (id, seq, hash) VALUES (1, 0, '${GENESIS_HASH}') ON CONFLICT (id) DO NOTHING;
CREATE OR REPLACE FUNCTION ${base}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'auditrail: % on % refused: the audit trail is append-only', TG_OP, TG_TABLE_NAME USING ERRCODE = '42501';
END $$;
DROP TRIGGER IF EXISTS ${base}_no_update ON ${events};
CREATE TRIGGER ${base}_no_update BEFORE UPDATE OR DELETE ON ${events} FOR EACH ROW EXECUTE FUNCTION ${base}_append_only();
DROP TRIGGER IF EXISTS ${base}_no_truncate ON ${events};
CREATE TRIGGER ${base}_no_truncate BEFORE TRUNCATE ON ${events} FOR EACH STATEMENT EXECUTE FUNCTION ${base}_append_only();
`
}

/**
 * The GRANTs of a writer role that may only append: INSERT and SELECT on the events (SELECT for the chain's head and
 * the shipper's resume point), SELECT and UPDATE on the head row's table, nothing else. The trigger refuses UPDATE,
 * DELETE and TRUNCATE of events even to a role granted them by mistake.
 */
export function printWriterGrants(role: string, table: string = DEFAULT_TABLE): string {
  const { events, head } = tableNames(table)
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role)) {
    throw new AuditrailError('options', `role: expected a lowercase identifier, got ${JSON.stringify(role)}`, { component: COMPONENT, field: 'role' })
  }
  return `REVOKE ALL ON ${events}, ${head} FROM "${role}";
GRANT SELECT, INSERT ON ${events} TO "${role}";
GRANT SELECT, UPDATE ON ${head} TO "${role}";
`
}

/** The subset of a node-postgres client the migration needs. */
interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>
}

/**
 * Runs {@link printMigration} unless the chain head table already exists, under a transaction-scoped advisory lock so
 * that writers starting together on many hosts do not race creating it (and do not re-take the table's lock each start).
 */
export async function runMigration(client: Queryable, table: string = DEFAULT_TABLE): Promise<void> {
  const { head } = tableNames(table)
  await client.query(`BEGIN; SELECT pg_advisory_xact_lock(hashtext('auditrail-migration'))`)
  try {
    const found = await client.query('SELECT to_regclass($1) IS NOT NULL AS present', [head])
    if ((found.rows[0] as { present: boolean } | undefined)?.present !== true) await client.query(printMigration(table))
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
}
