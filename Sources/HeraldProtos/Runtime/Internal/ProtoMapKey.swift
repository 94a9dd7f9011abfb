/// A protobuf map key type, with the order in which map entries are encoded (strings by
/// UTF-8 bytes, integers numerically, false before true), so encoding is deterministic
/// and matches other implementations' deterministic output.
package protocol _ProtoMapKey: Hashable {
    static func _protoPrecedes(_ lhs: Self, _ rhs: Self) -> Bool
}

extension String: _ProtoMapKey {
    package static func _protoPrecedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }
}

extension Bool: _ProtoMapKey {
    package static func _protoPrecedes(_ lhs: Bool, _ rhs: Bool) -> Bool {
        !lhs && rhs
    }
}

extension Int32: _ProtoMapKey {
    package static func _protoPrecedes(_ lhs: Int32, _ rhs: Int32) -> Bool { lhs < rhs }
}

extension Int64: _ProtoMapKey {
    package static func _protoPrecedes(_ lhs: Int64, _ rhs: Int64) -> Bool { lhs < rhs }
}

extension UInt32: _ProtoMapKey {
    package static func _protoPrecedes(_ lhs: UInt32, _ rhs: UInt32) -> Bool { lhs < rhs }
}

extension UInt64: _ProtoMapKey {
    package static func _protoPrecedes(_ lhs: UInt64, _ rhs: UInt64) -> Bool { lhs < rhs }
}

/// The entries of `map` in encoding order.
package func _heraldSortedEntries<Key: _ProtoMapKey, Value>(_ map: [Key: Value]) -> [(key: Key, value: Value)] {
    if map.count == 1 {
        return Array(map)
    }
    return map.sorted { Key._protoPrecedes($0.key, $1.key) }
}
