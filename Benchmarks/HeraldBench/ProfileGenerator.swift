import Foundation
import HeraldProtos

/// Reproducible profiles: row `i` is the same on every run with the same seed.
struct ProfileGenerator: Sendable {
    static let firstNames = ["Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Edsger",
                             "Sofia", "Lars", "Ingrid", "Johan", "Elsa", "Nils", "Astrid", "Karl", "Maja", "Olof"]
    static let lastNames = ["Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen",
                            "Dijkstra", "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson"]
    static let countries = ["SE", "FR", "DE", "US", "GB", "NO", "DK", "FI", "ES", "IT"]
    static let plans = ["free", "pro", "team"]
    static let tags = ["vip", "beta", "newsletter", "churn-risk", "early-adopter", "b2b"]
    static let locales = ["sv-SE", "fr-FR", "de-DE", "en-US", "en-GB"]
    static let zones = ["Europe/Stockholm", "Europe/Paris", "Europe/Berlin", "America/New_York", "Europe/London"]

    let seed: UInt64

    /// The fields of row `i`.
    struct Row {
        var id, email, firstName, lastName, locale, timeZone: String
        var tags: [String]
        var attributes: [(String, String)]
    }

    func row(_ i: Int) -> Row {
        var random = SplitMix64(seed: seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
        func pick(_ list: [String]) -> String { list[Int(random.next() % UInt64(list.count))] }
        let first = pick(Self.firstNames), last = pick(Self.lastNames)
        let country = pick(Self.countries)
        let localeIndex = Int(random.next() % UInt64(Self.locales.count))
        var tags: [String] = []
        for _ in 0..<Int(random.next() % 4) {
            let tag = pick(Self.tags)
            if !tags.contains(tag) { tags.append(tag) }
        }
        tags.sort()
        let attributes = [
            ("age", String(18 + random.next() % 63)),
            ("city", "City\(random.next() % 500)"),
            ("country", country),
            ("plan", pick(Self.plans)),
            ("score", "\(random.next() % 1000).\(random.next() % 10)"),
        ]
        return Row(
            id: String(format: "p%08d", i),
            email: "\(first.lowercased()).\(last.lowercased())\(i)@mail\(i % 50).example.com",
            firstName: first, lastName: last,
            locale: Self.locales[localeIndex], timeZone: Self.zones[localeIndex],
            tags: tags, attributes: attributes
        )
    }

    func profile(_ i: Int) -> Herald_V1_Profile {
        let row = row(i)
        var profile = Herald_V1_Profile()
        profile.id = row.id
        profile.email = row.email
        profile.firstName = row.firstName
        profile.lastName = row.lastName
        profile.locale = row.locale
        profile.timeZone = row.timeZone
        profile.tags = row.tags
        profile.attributes = Dictionary(uniqueKeysWithValues: row.attributes)
        profile.subscription = .subscribed
        return profile
    }

    /// Writes `profiles.csv` (the columns of heraldd's `profiles` table: the fixed ones,
    /// then a text and a number column per attribute, keys sorted) and
    /// `profile_tags.csv`, without headers.
    func writeCSV(count: Int, directory: String) throws {
        let profiles = try CSVWriter(path: directory + "/profiles.csv")
        let tags = try CSVWriter(path: directory + "/profile_tags.csv")
        let now = 1_700_000_000_000_000
        for i in 0..<count {
            let row = row(i)
            let pk = String(i + 1)
            var fields = [pk, row.id, row.email, row.firstName, row.lastName, row.locale, row.timeZone, "SUBSCRIBED",
                          String(now), String(now), "[" + row.tags.map { "\"\($0)\"" }.joined(separator: ",") + "]"]
            for (key, value) in row.attributes.sorted(by: { $0.0 < $1.0 }) {
                fields.append(value)
                fields.append(key == "city" || key == "country" || key == "plan" ? "" : value)
            }
            profiles.write(fields)
            for tag in row.tags { tags.write([tag, pk]) }
        }
        try profiles.close()
        try tags.close()
    }
}

/// Buffered CSV output (RFC 4180 quoting).
final class CSVWriter {
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
               let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
    }

    func write(_ fields: [String]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            if field.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }) {
                buffer.append(UInt8(ascii: "\""))
                for byte in field.utf8 {
                    if byte == UInt8(ascii: "\"") { buffer.append(byte) }
                    buffer.append(byte)
                }
                buffer.append(UInt8(ascii: "\""))
            } else {
                buffer.append(contentsOf: field.utf8)
            }
        }
        buffer.append(10)
        if buffer.count >= 1 << 20 { flush() }
    }

    private func flush() {
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        flush()
        try handle.close()
    }
}

/// SplitMix64, a small seeded generator.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
