import HeraldCore

/// The texts of a group of rows gathered as UTF-8 in one buffer, to be bound with
/// `SQLITE_STATIC` (``RawStatement/bindStatic(_:_:_:)``): no copy or allocation by
/// SQLite per bound value, as `SQLITE_TRANSIENT` makes.
///
/// Append the texts, then bind them inside ``withBase(_:)`` and run the statement there;
/// clear the statement's bindings before the arena changes or goes away.
struct TextArena {
    /// A text: where its bytes are in the buffer.
    struct Span {
        var start: Int
        var count: Int32
    }

    /// Every text's bytes, followed by one NUL byte once sealed (so that even an empty
    /// text at the end points inside the buffer: SQLite binds a null pointer as NULL).
    private var bytes: [UInt8] = []
    /// The texts in the order they were appended.
    private(set) var spans: [Span] = []

    /// Forgets every text, keeping the buffers' capacity.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
    }

    /// Appends a text.
    mutating func append(_ text: String) {
        let start = bytes.count
        bytes.append(contentsOf: text.utf8)
        spans.append(Span(start: start, count: Int32(bytes.count - start)))
    }

    /// Calls `body` with the address of the buffer's first byte (the texts are at
    /// `base + span.start`); valid only during the call.
    mutating func withBase<T>(_ body: (UnsafePointer<UInt8>) throws -> T) throws -> T {
        bytes.append(0)
        defer { bytes.removeLast() }
        return try bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { throw HeraldError.internal("empty text arena") }
            return try body(base)
        }
    }
}

extension RawStatement {
    /// Binds text `span` of an arena whose buffer starts at `base` (see ``TextArena``).
    func bind(_ index: Int32, _ span: TextArena.Span, in base: UnsafePointer<UInt8>) throws {
        try bindStatic(index, base + span.start, span.count)
    }
}
