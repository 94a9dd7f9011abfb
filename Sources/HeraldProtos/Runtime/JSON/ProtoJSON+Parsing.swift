extension ProtoJSON {
    /// Parses JSON text strictly (RFC 8259): one value with optional whitespace around
    /// it; no comments, trailing commas, single quotes, leading zeros, lone surrogates,
    /// control characters in strings or duplicate keys; nesting at most 256 deep.
    /// - Throws: ``ProtoJSONError`` naming the byte offset of the problem.
    public init(parsing text: String) throws(ProtoJSONError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// Parses JSON text given as UTF-8 bytes; see ``init(parsing:)-(String)``.
    public init(parsing bytes: [UInt8]) throws(ProtoJSONError) {
        var parser = ProtoJSONParser(bytes)
        self = try parser.parseDocument()
    }
}
