internal import GRDB
import HeraldCore

/// The mapping from attribute keys to their columns in `profiles`.
///
/// Key number N (its "slot", from 1) is stored in `attr_N` (TEXT, the value) and
/// `attr_N_num` (REAL, ``AudienceNumber/parse(_:)`` of the value). Column names are made
/// here from integers only; keys never reach SQL text. The mapping lives in
/// `profile_attribute_columns` and is read at the start of every transaction that needs it.
struct AttributeCatalog: Sendable {
    /// The most distinct attribute keys the store holds (SQLite allows 2000 columns).
    static let maxKeys = 900

    private(set) var slots: [String: Int] = [:]
    /// Keys ordered by slot.
    private(set) var keysBySlot: [(key: String, slot: Int)] = []

    static func load(_ db: Database) throws -> AttributeCatalog {
        var catalog = AttributeCatalog()
        for row in try Row.fetchAll(db, sql: "SELECT key, slot FROM profile_attribute_columns ORDER BY slot") {
            let key: String = row[0], slot: Int = row[1]
            catalog.slots[key] = slot
            catalog.keysBySlot.append((key, slot))
        }
        return catalog
    }

    static func textColumn(_ slot: Int) -> String { "attr_\(slot)" }
    static func numberColumn(_ slot: Int) -> String { "attr_\(slot)_num" }

    func columns(for key: String) -> AudienceSQL.AttributeColumns? {
        slots[key].map { AudienceSQL.AttributeColumns(text: Self.textColumn($0), number: Self.numberColumn($0)) }
    }

    /// Adds the columns of `key`, inside the caller's write transaction.
    mutating func add(_ key: String, _ db: Database) throws {
        guard slots[key] == nil else { return }
        guard slots.count < Self.maxKeys else {
            throw HeraldError(
                code: .resourceExhausted,
                message: "attribute '\(key)' would exceed the store's limit of \(Self.maxKeys) distinct attribute keys"
            )
        }
        let slot = (keysBySlot.last?.slot ?? 0) + 1
        try db.execute(sql: "ALTER TABLE profiles ADD COLUMN \(Self.textColumn(slot)) TEXT")
        try db.execute(sql: "ALTER TABLE profiles ADD COLUMN \(Self.numberColumn(slot)) REAL")
        try db.execute(sql: "INSERT INTO profile_attribute_columns (key, slot) VALUES (?, ?)", arguments: [key, slot])
        slots[key] = slot
        keysBySlot.append((key, slot))
    }
}
