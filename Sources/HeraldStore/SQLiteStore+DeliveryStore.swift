import Foundation
internal import GRDB
public import HeraldCore

extension SQLiteStore: DeliveryStore {
    public func createDelivery(_ delivery: Delivery) async throws {
        let body = try Self.encode(delivery)
        try await write("createDelivery") { db in
            try db.execute(
                sql: """
                    INSERT INTO deliveries (id, state, create_time, update_time, body) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO NOTHING
                    """,
                arguments: [
                    delivery.id, delivery.state.rawValue, delivery.createTime.microsecondsSinceEpoch,
                    delivery.updateTime.microsecondsSinceEpoch, body,
                ]
            )
            guard db.changesCount == 1 else {
                throw HeraldError.alreadyExists("delivery '\(delivery.id)' already exists")
            }
        }
    }

    public func delivery(id: String) async throws -> Delivery? {
        try await read("delivery") { db in
            try String.fetchOne(db, sql: "SELECT body FROM deliveries WHERE id = ?", arguments: [id]).map(Self.decode)
        }
    }

    public func listDeliveries(states: Set<Delivery.State>?, after: String?, limit: Int) async throws -> Page<Delivery> {
        let limit = max(0, limit)
        return try await read("listDeliveries") { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let states {
                let sorted = states.map(\.rawValue).sorted()
                conditions.append("state IN (\(sorted.map { _ in "?" }.joined(separator: ", ")))")
                arguments += StatementArguments(sorted)
                if sorted.isEmpty { conditions[conditions.count - 1] = "0" }
            }
            if let after {
                conditions.append("id > ?")
                arguments += [after]
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments += [limit + 1]
            let bodies = try String.fetchAll(
                db, sql: "SELECT body FROM deliveries \(whereClause) ORDER BY id LIMIT ?", arguments: arguments
            )
            let items = try bodies.prefix(limit).map(Self.decode)
            return Page(items: items, nextCursor: bodies.count > limit ? items.last?.id : nil)
        }
    }

    public func updateDelivery(id: String, _ change: @Sendable (inout Delivery) throws -> Void) async throws -> Delivery {
        try await write("updateDelivery") { db in
            guard let body = try String.fetchOne(db, sql: "SELECT body FROM deliveries WHERE id = ?", arguments: [id]) else {
                throw HeraldError.notFound("delivery '\(id)' not found")
            }
            var delivery = try Self.decode(body)
            try change(&delivery)
            guard delivery.id.utf8.elementsEqual(id.utf8) else {
                throw HeraldError.internal("a delivery update changed its id")
            }
            try db.execute(
                sql: "UPDATE deliveries SET state = ?, update_time = ?, body = ? WHERE id = ?",
                arguments: [delivery.state.rawValue, delivery.updateTime.microsecondsSinceEpoch, try Self.encode(delivery), id]
            )
            return delivery
        }
    }

    public func deleteDelivery(id: String, check: @Sendable (Delivery) throws -> Void) async throws {
        try await write("deleteDelivery") { db in
            guard let body = try String.fetchOne(db, sql: "SELECT body FROM deliveries WHERE id = ?", arguments: [id]) else {
                throw HeraldError.notFound("delivery '\(id)' not found")
            }
            try check(try Self.decode(body))
            try db.execute(sql: "DELETE FROM deliveries WHERE id = ?", arguments: [id])
        }
    }

    private static func encode(_ delivery: Delivery) throws -> String {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(delivery), as: UTF8.self)
        } catch {
            throw HeraldError.internal("cannot encode delivery '\(delivery.id)'", cause: error)
        }
    }

    private static func decode(_ body: String) throws -> Delivery {
        do {
            return try JSONDecoder().decode(Delivery.self, from: Data(body.utf8))
        } catch {
            throw HeraldError.internal("cannot decode a stored delivery", cause: error)
        }
    }
}
