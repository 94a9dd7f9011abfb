internal import GRDB

/// The versioned schema of the SQLite store. Migrations are applied in order at open;
/// applied ones are recorded by GRDB in `grdb_migrations` and never run twice.
///
/// Never edit a shipped migration: add a new one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: profiles, deliveries, idempotency records") { db in
            // Profiles. `pk` is the compact internal key `profile_tags` points to; `id` is
            // the client's. Tags are kept as JSON for reading and one row per tag in
            // `profile_tags` for filtering. Each attribute key gets two columns, added
            // on first use (see AttributeCatalog): filters then read plain columns and an
            // upsert writes one row, whatever the number of attributes.
            try db.execute(sql: """
                CREATE TABLE profiles (
                    pk INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    email TEXT NOT NULL,
                    first_name TEXT NOT NULL,
                    last_name TEXT NOT NULL,
                    locale TEXT NOT NULL,
                    time_zone TEXT NOT NULL,
                    subscription TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    tags TEXT NOT NULL
                );
                CREATE INDEX profiles_email ON profiles(email);
                CREATE INDEX profiles_subscription ON profiles(subscription);
                CREATE INDEX profiles_created_at ON profiles(created_at);
                CREATE TABLE profile_tags (
                    tag TEXT NOT NULL,
                    profile_pk INTEGER NOT NULL,
                    PRIMARY KEY (tag, profile_pk)
                ) WITHOUT ROWID;
                CREATE TABLE profile_attribute_columns (
                    key TEXT NOT NULL PRIMARY KEY,
                    slot INTEGER NOT NULL UNIQUE
                );

                CREATE TABLE deliveries (
                    id TEXT NOT NULL PRIMARY KEY,
                    state TEXT NOT NULL,
                    create_time INTEGER NOT NULL,
                    update_time INTEGER NOT NULL,
                    body TEXT NOT NULL
                );
                CREATE INDEX deliveries_state ON deliveries(state, id);

                CREATE TABLE idempotency_records (
                    request_id TEXT NOT NULL,
                    method TEXT NOT NULL,
                    result BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (request_id, method)
                ) WITHOUT ROWID;
                CREATE INDEX idempotency_records_created_at ON idempotency_records(created_at);
                """)
        }
        migrator.registerMigration("v2: preparation exclusions, logs, message ledger, address quarantine") { db in
            // One preparation per delivery is kept: its exclusions and log entries, and its
            // messages (the ledger: PENDING rows written by the preparation, moved on by
            // sending). SENT rows are indexed by profile for the pressure rules.
            try db.execute(sql: """
                CREATE TABLE preparation_exclusions (
                    delivery_id TEXT NOT NULL,
                    profile_id TEXT NOT NULL,
                    address TEXT NOT NULL,
                    cause INTEGER NOT NULL,
                    rule_name TEXT NOT NULL,
                    PRIMARY KEY (delivery_id, profile_id)
                ) WITHOUT ROWID;
                CREATE TABLE preparation_logs (
                    delivery_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    time INTEGER NOT NULL,
                    severity INTEGER NOT NULL,
                    code TEXT NOT NULL,
                    message TEXT NOT NULL,
                    phase INTEGER,
                    profile_id TEXT NOT NULL,
                    PRIMARY KEY (delivery_id, seq)
                ) WITHOUT ROWID;
                CREATE TABLE messages (
                    delivery_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    profile_id TEXT NOT NULL,
                    address TEXT NOT NULL,
                    tracking_id TEXT NOT NULL,
                    status TEXT NOT NULL,
                    status_time INTEGER,
                    PRIMARY KEY (delivery_id, seq)
                ) WITHOUT ROWID;
                CREATE INDEX messages_sent ON messages(profile_id, status_time) WHERE status = 'SENT';
                CREATE TABLE address_quarantine (
                    address TEXT NOT NULL PRIMARY KEY,
                    reason TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v3: sending columns of the message ledger") { db in
            // What sending records per row: the failure reason, the relay's last reply,
            // the attempts, and when the last attempt, the next retry and the send were.
            try db.execute(sql: """
                ALTER TABLE messages ADD COLUMN failure_reason TEXT;
                ALTER TABLE messages ADD COLUMN reply_text TEXT NOT NULL DEFAULT '';
                ALTER TABLE messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE messages ADD COLUMN last_attempt_time INTEGER;
                ALTER TABLE messages ADD COLUMN next_attempt_time INTEGER;
                ALTER TABLE messages ADD COLUMN sent_time INTEGER;
                """)
        }
        migrator.registerMigration("v4: subscription index over the rows that are not SUBSCRIBED") { db in
            // Nearly every profile is SUBSCRIBED: an index over every row cost each upsert
            // one more index insertion and served no filter (SUBSCRIBED selects most of the
            // table, a scan is as good). Filters without SUBSCRIBED use the partial index:
            // their compiled SQL repeats its condition.
            try db.execute(sql: """
                DROP INDEX profiles_subscription;
                CREATE INDEX profiles_subscription_not_subscribed ON profiles(subscription)
                    WHERE subscription != 'SUBSCRIBED';
                """)
        }
        migrator.registerMigration("v5: soft-failure index of the message ledger (sending's quarantine count)") { db in
            // Only FAILED rows with a soft reason are in it: SENT rows cost nothing.
            try db.execute(
                sql: """
                    CREATE INDEX messages_soft_failures ON messages(address COLLATE NOCASE, status_time)
                    WHERE status = 'FAILED' AND failure_reason IN ('TRANSIENT_EXHAUSTED', 'MAILBOX_FULL');
                    """
            )
        }
        migrator.registerMigration("v6: tracking events, per-recipient engagement, engagement totals, tracking keys") { db in
            // Tracking (see SQLiteStore+TrackingEventStore): `tracking_events` is append-only,
            // one row per accepted event; `engagement` is the idempotent per-recipient record
            // (one row per ledger row that had any event: first open and click times, counts,
            // flags) from which the distinct counts follow; `engagement_totals` keeps each
            // delivery's counts, moved by the same transaction, so reading them is one row.
            // `tracking_keys` holds the signing key generated when none is configured.
            try db.execute(sql: """
                CREATE TABLE tracking_events (
                    id INTEGER PRIMARY KEY,
                    delivery_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    time INTEGER NOT NULL,
                    machine INTEGER NOT NULL DEFAULT 0,
                    link_index INTEGER,
                    detail TEXT NOT NULL DEFAULT '',
                    user_agent TEXT NOT NULL DEFAULT ''
                );
                CREATE INDEX tracking_events_message ON tracking_events(delivery_id, seq);
                CREATE TABLE engagement (
                    delivery_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    first_open_time INTEGER,
                    first_human_open_time INTEGER,
                    open_count INTEGER NOT NULL DEFAULT 0,
                    first_click_time INTEGER,
                    click_count INTEGER NOT NULL DEFAULT 0,
                    unsubscribed INTEGER NOT NULL DEFAULT 0,
                    hard_bounced INTEGER NOT NULL DEFAULT 0,
                    soft_bounced INTEGER NOT NULL DEFAULT 0,
                    complained INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (delivery_id, seq)
                ) WITHOUT ROWID;
                CREATE TABLE engagement_totals (
                    delivery_id TEXT NOT NULL PRIMARY KEY,
                    opens INTEGER NOT NULL DEFAULT 0,
                    machine_opens INTEGER NOT NULL DEFAULT 0,
                    total_opens INTEGER NOT NULL DEFAULT 0,
                    clicks INTEGER NOT NULL DEFAULT 0,
                    total_clicks INTEGER NOT NULL DEFAULT 0,
                    unsubscribes INTEGER NOT NULL DEFAULT 0,
                    hard_bounces INTEGER NOT NULL DEFAULT 0,
                    soft_bounces INTEGER NOT NULL DEFAULT 0,
                    complaints INTEGER NOT NULL DEFAULT 0
                ) WITHOUT ROWID;
                CREATE TABLE tracking_keys (
                    key_id TEXT NOT NULL PRIMARY KEY,
                    secret BLOB NOT NULL,
                    created_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v7: no message index on tracking_events") { db in
            // Nothing reads tracking_events by message (the counts come from engagement and
            // engagement_totals); the index cost every recorded event an insertion at a
            // random place (about 3 µs of the recorder's ~16 µs per open in make bench-track).
            try db.execute(sql: "DROP INDEX tracking_events_message")
        }
        return migrator
    }
}
