import Foundation
import HeraldCore
@testable import HeraldStore
import Logging

/// A directory under the system's temporary directory, removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "herald-store-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    var databasePath: String { path + "/herald.sqlite" }

    func cleanup() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Opens a store on a fresh file, runs `body`, closes the store and removes the file.
func withTemporaryStore<T>(_ body: (SQLiteStore, TemporaryDirectory) async throws -> T) async throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let store = try SQLiteStore(path: directory.databasePath, logger: Logger(label: "test"))
    do {
        let result = try await body(store, directory)
        try store.close()
        return result
    } catch {
        try? store.close()
        throw error
    }
}

/// A small, seeded, reproducible random number generator (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension ProfileStore {
    /// Every id matching `filter`, read page by page.
    func allIDs(matching filter: AudienceFilter, pageSize: Int = 97) async throws -> [String] {
        var ids: [String] = []
        var cursor: String?
        repeat {
            let page = try await listProfiles(matching: filter, after: cursor, limit: pageSize)
            ids += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        return ids
    }

    /// Every profile, read page by page.
    func allProfiles() async throws -> [Profile] {
        var profiles: [Profile] = []
        var cursor: String?
        repeat {
            let page = try await listProfiles(matching: .all, after: cursor, limit: 500)
            profiles += page.items
            cursor = page.nextCursor
        } while cursor != nil
        return profiles
    }
}

/// Writes `value` as a double-quoted audience-language literal.
func quoted(_ value: String) -> String {
    var out = "\""
    for scalar in value.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
