internal import CHeraldSQLite
internal import GRDB
import HeraldCore
public import Logging

/// Herald's storage in one SQLite file: profiles, deliveries and idempotency records.
///
/// Opens the file with a GRDB `DatabasePool` in WAL mode (one writer, concurrent
/// readers) and applies the versioned migrations before returning. Each batch of writes
/// runs in one transaction, so a crash leaves a batch entirely written or not at all.
/// GRDB runs database work on its own threads, never blocking Swift concurrency's pool,
/// with one exception: a small ledger group commit finding the writer idle runs on its
/// caller's thread (see ``applyLedgerUpdates(_:deliveryID:)``).
///
/// Call ``close()`` before dropping the last reference.
public final class SQLiteStore: Sendable {
    /// How the database connection is tuned.
    public struct Configuration: Sendable {
        /// The page cache of each read connection, in KiB.
        public var cacheSizeKiB: Int
        /// The page cache of the write connection, in KiB.
        ///
        /// Kept small: when a B-tree split renumbers its pages (SQLite moves one through
        /// the page number after the lock-byte page, 262,145 with 4 KiB pages), the cache
        /// believes it holds a page past the end of the file, and the commit that ends
        /// the transaction scans its whole hash table to drop it, a cost proportional to
        /// the pages cached. Ledger updates make rows longer, so sending splits a leaf
        /// every few dozen updates: with 64 MiB (16,384 pages) cached, that scan took
        /// about 4% of heraldd's CPU time in `make bench-send`. Pages the writer only
        /// reads come from the memory map, and pages it dropped are read back from the
        /// operating system's page cache.
        public var writerCacheSizeKiB: Int
        /// How long a connection waits for a lock held by another process, in milliseconds.
        public var busyTimeoutMilliseconds: Int
        /// The most concurrent read connections.
        public var maximumReaderCount: Int
        /// Whether commits wait for the disk (`synchronous = FULL`). With `false`
        /// (`NORMAL`, the default in WAL mode) a process crash loses nothing committed, a
        /// power loss may lose the last transactions, and the file stays consistent.
        public var fullSync: Bool
        /// How much of the file SQLite may read through memory mapping (`mmap_size`), in
        /// bytes; 0 turns it off. Mapping saves a copy per page read on full scans (counts
        /// over large audiences); mapped pages count in the process's resident size.
        public var mmapSizeBytes: Int
        /// The write-ahead log's size, in bytes, from which a commit waits for the
        /// checkpoint (which otherwise runs beside the writer) to catch up, and to which
        /// a restarted log is cut back (`journal_size_limit`). Bounds the log during long
        /// imports, whose back-to-back commits leave it no moment to restart.
        public var walLimitBytes: Int

        /// 64 MiB of cache per reader and 8 MiB of the writer's, 5 s busy timeout, 4 readers,
        /// `synchronous = NORMAL`, 1 GiB of mmap (a count over 1,000,000 profiles takes
        /// about half the time with it), a 64 MiB log.
        public static var defaults: Configuration {
            Configuration(
                cacheSizeKiB: 65_536, busyTimeoutMilliseconds: 5_000, maximumReaderCount: 4, fullSync: false, mmapSizeBytes: 1 << 30,
                writerCacheSizeKiB: 8_192
            )
        }

        /// Creates a configuration; `writerCacheSizeKiB` defaults to `cacheSizeKiB`.
        public init(
            cacheSizeKiB: Int, busyTimeoutMilliseconds: Int, maximumReaderCount: Int, fullSync: Bool, mmapSizeBytes: Int = 0,
            walLimitBytes: Int = 64 << 20, writerCacheSizeKiB: Int? = nil
        ) {
            self.cacheSizeKiB = cacheSizeKiB
            self.writerCacheSizeKiB = writerCacheSizeKiB ?? cacheSizeKiB
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
            self.maximumReaderCount = maximumReaderCount
            self.fullSync = fullSync
            self.mmapSizeBytes = mmapSizeBytes
            self.walLimitBytes = walLimitBytes
        }
    }

    /// The database file.
    public let path: String
    let pool: DatabasePool
    let logger: Logger
    /// The tracking recorder's recipients, kept between its batches.
    let trackingRecipients = TrackingRecipientCache()
    /// Checkpoints the WAL beside the writer (see ``WALCheckpointer``).
    let checkpointer: WALCheckpointer
    /// Shares the writer's transactions among concurrent profile imports.
    let profileCommitter = ProfileBatchCommitter()
    /// The writes queued for or running on the writer (every write is counted).
    let writes = WriterActivity()

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    ///
    /// - Throws: ``HeraldError`` (``HeraldError/Code/unavailable`` when the file cannot be
    ///   opened, ``HeraldError/Code/internal`` when a migration fails).
    public init(path: String, configuration: Configuration = .defaults, logger: Logger) throws {
        _ = Self.sqliteSettings
        self.path = path
        self.logger = logger
        var config = GRDB.Configuration()
        config.maximumReaderCount = configuration.maximumReaderCount
        config.busyMode = .timeout(Double(configuration.busyTimeoutMilliseconds) / 1000)
        config.foreignKeysEnabled = false
        let cacheSize = configuration.cacheSizeKiB
        let writerCacheSize = configuration.writerCacheSizeKiB
        let synchronous = configuration.fullSync ? "FULL" : "NORMAL"
        let mmapSize = max(0, configuration.mmapSizeBytes)
        // The store's pages are SQLite's default 4 KiB: one log frame each.
        let walLimit = max(0, configuration.walLimitBytes)
        let checkpointer = WALCheckpointer(maxLogFrames: walLimit / 4096, logger: logger)
        self.checkpointer = checkpointer
        config.prepareDatabase { db in
            try db.execute(sql: """
                PRAGMA cache_size = -\(db.configuration.readonly ? cacheSize : writerCacheSize); PRAGMA synchronous = \(synchronous); PRAGMA temp_store = MEMORY;
                PRAGMA mmap_size = \(mmapSize); PRAGMA journal_size_limit = \(walLimit)
                """)
            // Commits signal the checkpointer instead of checkpointing on the writer's
            // thread (read-only connections never commit). The closure keeps it alive.
            if let connection = db.sqliteConnection { checkpointer.install(on: connection) }
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw HeraldError(code: .unavailable, message: "cannot open the database at \(path)", cause: error)
        }
        do {
            let migrator = Schema.migrator
            let applied = try pool.read { try migrator.appliedIdentifiers($0) }
            try migrator.migrate(pool)
            let now = try pool.read { try migrator.appliedIdentifiers($0) }
            try checkpointer.open(path: path)
            logger.info(
                "database opened",
                metadata: [
                    "herald.database.path": "\(path)",
                    "herald.database.migrations.applied": "\(now.subtracting(applied).sorted())",
                ]
            )
        } catch let error as HeraldError {
            try? pool.close()
            checkpointer.close()
            throw error
        } catch {
            try? pool.close()
            checkpointer.close()
            throw HeraldError(code: .internal, message: "cannot migrate the database at \(path)", cause: error)
        }
    }

    /// Process-wide SQLite settings, applied once before the first connection opens: no
    /// memory statistics (they take a global mutex on every allocation of every
    /// connection, ~5% of an import's writer time; nothing here reads them).
    private static let sqliteSettings: Void = {
        _ = CHeraldSQLite_disableMemoryStatistics()
    }()

    /// Closes every connection. The store must not be used afterwards.
    public func close() throws {
        defer { checkpointer.close() }
        do {
            try pool.close()
        } catch {
            throw Self.heraldError(error, "close")
        }
    }

    /// The identifiers of the applied migrations, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await read("appliedMigrations") { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
        }
    }

    /// The names of the tables in the file (for tests and diagnostics).
    func tableNames() async throws -> [String] {
        try await read("tableNames") { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
    }

    // MARK: Database access with errors mapped to HeraldError

    func read<T: Sendable>(_ operation: String, _ body: @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as HeraldError {
            throw error
        } catch {
            throw Self.heraldError(error, operation)
        }
    }

    /// Runs `body`, mapping its errors like ``write(_:_:)`` does.
    func mapErrors<T: Sendable>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as HeraldError {
            throw error
        } catch {
            throw Self.heraldError(error, operation)
        }
    }

    func write<T: Sendable>(_ operation: String, _ body: @Sendable (Database) throws -> T) async throws -> T {
        writes.begin()
        defer { writes.end() }
        do {
            return try await pool.write(body)
        } catch let error as HeraldError {
            throw error
        } catch {
            throw Self.heraldError(error, operation)
        }
    }

    static func heraldError(_ error: any Error, _ operation: String) -> HeraldError {
        if let error = error as? HeraldError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return HeraldError(code: .unavailable, message: "database busy during \(operation)", cause: error)
            case .SQLITE_FULL:
                return HeraldError(code: .resourceExhausted, message: "database or disk full during \(operation)", cause: error)
            default:
                break
            }
        }
        if error is CancellationError {
            return HeraldError(code: .unavailable, message: "\(operation) was cancelled", cause: error)
        }
        return HeraldError(code: .internal, message: "database error during \(operation)", cause: error)
    }
}
