/// Immutable heap storage for a message field that would otherwise make a struct contain
/// itself (a cycle of singular message fields). Setting the field stores a new box, so the
/// struct keeps value semantics; equality and hashing look at the value.
package final class _ProtoBox<Value: Sendable & Hashable>: Sendable, Hashable {
    package let value: Value

    package init(_ value: Value) {
        self.value = value
    }

    package static func == (lhs: _ProtoBox, rhs: _ProtoBox) -> Bool {
        lhs === rhs || lhs.value == rhs.value
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(value)
    }
}
