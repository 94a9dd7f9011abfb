/// Where ``MessageWriter`` puts a message's bytes: a buffer (`[UInt8]`) to build the
/// message, or a ``ByteCount`` to measure it without copying anything.
protocol ByteSink {
    /// Appends bytes.
    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>)
    /// Appends one byte.
    mutating func write(byte: UInt8)
    /// Counts `count` bytes (none a line break) without their values, when this sink
    /// only measures; returns false (doing nothing) when it keeps bytes.
    mutating func measureOnly(_ count: Int) -> Bool
    /// Whether ``measureOnly(_:)`` counts (true) or does nothing (false): a writer skips
    /// computing a length that a sink keeping bytes would not use.
    static var measures: Bool { get }
}

extension ByteSink {
    /// Keeps bytes: false.
    mutating func measureOnly(_ count: Int) -> Bool { false }

    /// Keeps bytes: false.
    static var measures: Bool { false }

    /// Appends bytes.
    mutating func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { write($0) }
    }

    /// Appends a string's UTF-8 bytes.
    mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { write($0) }
    }
}

extension Array: ByteSink where Element == UInt8 {
    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) { append(contentsOf: bytes) }
    mutating func write(byte: UInt8) { append(byte) }
}
