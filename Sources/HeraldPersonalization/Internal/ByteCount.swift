/// A ``ByteSink`` that only counts, and notes whether a line break (CR or LF) went by.
struct ByteCount: ByteSink {
    /// The bytes written so far.
    var count = 0
    /// Whether a CR or LF byte was written.
    var sawLineBreak = false

    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        count += bytes.count
        if !sawLineBreak { sawLineBreak = bytes.contains { $0 == 0x0A || $0 == 0x0D } }
    }

    static var measures: Bool { true }

    mutating func measureOnly(_ count: Int) -> Bool {
        self.count += count
        return true
    }

    mutating func write(byte: UInt8) {
        count += 1
        if byte == 0x0A || byte == 0x0D { sawLineBreak = true }
    }
}
