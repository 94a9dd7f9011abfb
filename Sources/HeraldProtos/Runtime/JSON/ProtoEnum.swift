/// A generated enum: its wire value, and the value names of the JSON mapping.
public protocol ProtoEnum: Sendable, Hashable, RawRepresentable where RawValue == Int32 {
    /// The declared name of the value (`DELIVERY_STATE_DRAFT`; for aliases the first
    /// declared), or nil for a value the schema does not know.
    var protoName: String? { get }

    /// The value named `protoName` (any declared name, aliases too).
    init?(protoName: String)
}
