extension ScratchText {
    /// What a run of HTML text (the bytes between two tags) adds to the text of any
    /// message: its text (entities decoded) with white space collapsed, from its first
    /// visible character to its last, and whether white space comes before and after
    /// them. Nothing else in the collector changes it: what was pending is written
    /// before the first visible character, the rest is the same in every message.
    ///
    /// ``HTMLTextScanner`` keeps the runs of a delivery's templates (static text recurs in
    /// every message) in a ``ChunkCache`` by their HTML bytes.
    struct Run: Sendable {
        /// The visible text, white space inside it collapsed to single spaces.
        let text: [UInt8]
        /// Whether the run starts with white space (all of it white space: `text` empty).
        let leadingSpace: Bool
        /// Whether the run ends with white space.
        let trailingSpace: Bool
        /// The quoted-printable encoding of ``text`` when it is a chunk of the text part
        /// (at least ``ChunkCache/minimumCount`` bytes): the text part's encoder takes it
        /// instead of looking the same bytes up again.
        let encoded: QuotedPrintable.Chunk?

        init(text: [UInt8], leadingSpace: Bool, trailingSpace: Bool) {
            self.text = text
            self.leadingSpace = leadingSpace
            self.trailingSpace = trailingSpace
            encoded = text.count >= ChunkCache<QuotedPrintable.Chunk>.minimumCount
                ? text.withUnsafeBufferPointer { QuotedPrintable.chunk(of: $0) } : nil
        }

        /// Whether the text `bytes` (valid UTF-8) starts with white space as
        /// ``ScratchText/append(utf8:)`` reads it.
        static func startsWithSpace(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            guard let b = bytes.first else { return false }
            if b < 0x80 { return b == 0x20 || (b >= 0x09 && b <= 0x0D) }
            let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
            let end = min(length, bytes.count)
            var value = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
            for k in 1..<end { value = (value << 6) | (UInt32(bytes[k]) & 0x3F) }
            return ScratchText.isWhitespace(value)
        }
    }
}
