/// gRPC metadata: an ordered list of key-value pairs. Keys are lower-case ASCII; keys
/// ending in `-bin` carry binary values (base64 on the wire, handled by the core),
/// the others printable ASCII strings.
public struct Metadata: Sendable, Hashable {
    /// A metadata value: a string for ordinary keys, bytes for `-bin` keys.
    public enum Value: Sendable, Hashable {
        case string(String)
        case binary([UInt8])
    }

    /// The pairs in order.
    public private(set) var elements: [(key: String, value: Value)]

    public init() {
        self.elements = []
    }

    /// Appends a string value. The key is lower-cased.
    public mutating func add(_ key: String, _ value: String) {
        elements.append((key.lowercased(), .string(value)))
    }

    /// Appends a binary value; the key must end in `-bin`.
    public mutating func add(_ key: String, binary value: [UInt8]) {
        elements.append((key.lowercased(), .binary(value)))
    }

    /// Appends a value as it is.
    public mutating func add(_ key: String, value: Value) {
        elements.append((key.lowercased(), value))
    }

    /// Removes every value of a key.
    public mutating func removeAll(_ key: String) {
        let key = key.lowercased()
        elements.removeAll { $0.key == key }
    }

    /// Every string value of a key, in order.
    public subscript(stringValues key: String) -> [String] {
        let key = key.lowercased()
        return elements.compactMap {
            guard $0.key == key else { return nil }
            switch $0.value {
            case .string(let s): return s
            case .binary(let b): return String(decoding: b, as: UTF8.self)
            }
        }
    }

    /// Every binary value of a key, in order (string values as their UTF-8 bytes).
    public subscript(binaryValues key: String) -> [[UInt8]] {
        let key = key.lowercased()
        return elements.compactMap {
            guard $0.key == key else { return nil }
            switch $0.value {
            case .string(let s): return Array(s.utf8)
            case .binary(let b): return b
            }
        }
    }

    /// The first string value of a key.
    public func first(_ key: String) -> String? {
        self[stringValues: key].first
    }

    public var isEmpty: Bool { elements.isEmpty }
    public var count: Int { elements.count }

    public static func == (lhs: Metadata, rhs: Metadata) -> Bool {
        lhs.elements.elementsEqual(rhs.elements) { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(elements.count)
        for element in elements {
            hasher.combine(element.key)
            hasher.combine(element.value)
        }
    }
}

extension Metadata: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, Value)...) {
        self.init()
        for (key, value) in elements { add(key, value: value) }
    }
}

extension Metadata.Value: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension Metadata: Sequence {
    public func makeIterator() -> IndexingIterator<[(key: String, value: Value)]> {
        elements.makeIterator()
    }
}

extension Metadata: CustomStringConvertible {
    public var description: String {
        "[" + elements.map { element in
            switch element.value {
            case .string(let s): "\(element.key): \(s)"
            case .binary(let b): "\(element.key): <\(b.count) bytes>"
            }
        }.joined(separator: ", ") + "]"
    }
}
