#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension QuotedPrintable {
    /// A chunk's encoding from column 0 up to its last byte (which is encoded with the
    /// byte after it in sight): the same for every message holding the chunk.
    struct Chunk: Sendable {
        /// The encoded bytes.
        let encoded: [UInt8]
        /// The input bytes they encode: the chunk's count minus one, or its count when
        /// it ends with a CRLF (encoded as one line break).
        let consumed: Int
        /// The output column after them.
        let column: Int
        /// ``estimatedLength(count:escaped:)``'s escaped bytes among them.
        let escaped: Int
    }

    /// A chunk of a body, and its encoding when the caller already has it.
    struct ChunkRange {
        /// Where the chunk is in the body.
        var range: Range<Int>
        /// ``chunk(of:)`` of those bytes, if known.
        var known: Chunk?
    }

    /// What ``encode(_:to:chunks:cache:)`` encodes of `bytes` as a chunk (from column 0,
    /// up to its last byte), for bytes of at least ``ChunkCache/minimumCount``.
    static func chunk(of bytes: UnsafeBufferPointer<UInt8>) -> Chunk? {
        guard let input = bytes.baseAddress, bytes.count >= 2 else { return nil }
        var state = State()
        let encoded = [UInt8](unsafeUninitializedCapacity: maxEncodedLength(bytes.count)) { buffer, initialized in
            guard let out = buffer.baseAddress else { return }
            encode(input, count: bytes.count, to: out, &state, until: bytes.count - 1)
            initialized = state.o
        }
        return Chunk(encoded: encoded, consumed: state.i, column: state.column, escaped: state.escaped)
    }

    /// The most bytes ``encode(_:to:chunks:cache:)`` writes for `count` input bytes:
    /// ``maxEncodedLength(_:)`` and a soft break before each chunk (chunks are at least
    /// ``ChunkCache/minimumCount`` bytes long).
    static func maxChunkedEncodedLength(_ count: Int) -> Int {
        maxEncodedLength(count) + 3 * (count / ChunkCache<Chunk>.minimumCount + 1)
    }

    /// ``encode(_:to:)`` with each chunk of `chunks` (increasing, disjoint ranges of at
    /// least ``ChunkCache/minimumCount`` bytes) starting a line: a soft break (`=` CRLF)
    /// before it unless it starts at column 0. Its encoding up to its last byte then
    /// depends on its bytes alone: taken from `cache` when a message encoded the same
    /// chunk before, else encoded here (and offered to the cache).
    ///
    /// The decoded content is ``encode(_:to:)``'s: a soft break is legal anywhere between
    /// two encoded characters (RFC 2045 §6.7 rule 5), and a chunk never starts with a
    /// line break, so no soft break follows a space that a hard break would strip.
    /// Lines stay within 76 characters.
    static func encode(
        _ text: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>, chunks: some Sequence<Range<Int>>,
        cache: ChunkCache<Chunk>?
    ) -> (written: Int, escaped: Int) {
        encode(text, to: out, chunks: chunks.lazy.map { ChunkRange(range: $0, known: nil) }, cache: cache)
    }

    /// ``encode(_:to:chunks:cache:)`` with chunks whose encoding may be known already
    /// (then used as a cache hit would be).
    static func encode(
        _ text: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>, chunks: some Sequence<ChunkRange>,
        cache: ChunkCache<Chunk>?
    ) -> (written: Int, escaped: Int) {
        guard let input = text.baseAddress else { return (0, 0) }
        let n = text.count
        var state = State()
        for item in chunks {
            let chunk = item.range
            encode(input, count: n, to: out, &state, until: chunk.lowerBound)
            guard state.i == chunk.lowerBound, chunk.count >= ChunkCache<Chunk>.minimumCount, chunk.upperBound <= n else { continue }
            if state.column > 0 {
                out[state.o] = UInt8(ascii: "=")
                out[state.o + 1] = 13
                out[state.o + 2] = 10
                state.o += 3
                state.column = 0
            }
            let stop = chunk.upperBound - 1
            let key = UnsafeBufferPointer(start: input + chunk.lowerBound, count: chunk.count)
            switch item.known.map(ChunkCache<Chunk>.Lookup.hit) ?? cache?.lookup(key) {
            case .hit(let cached)?:
                cached.encoded.withUnsafeBufferPointer { encoded in
                    guard let base = encoded.baseAddress else { return }
                    (out + state.o).initialize(from: base, count: encoded.count)
                }
                state.o += cached.encoded.count
                state.i = chunk.lowerBound + cached.consumed
                state.column = cached.column
                state.escaped += cached.escaped
            case .miss(let admit, let fingerprint)?:
                let start = (o: state.o, escaped: state.escaped)
                encode(input, count: n, to: out, &state, until: stop)
                if admit, let cache {
                    let encoded = Array(UnsafeBufferPointer(start: out + start.o, count: state.o - start.o))
                    cache.insert(key, fingerprint: fingerprint, Chunk(
                        encoded: encoded, consumed: state.i - chunk.lowerBound, column: state.column,
                        escaped: state.escaped - start.escaped
                    ), size: encoded.count)
                }
            case nil:
                encode(input, count: n, to: out, &state, until: stop)
            }
        }
        encode(input, count: n, to: out, &state, until: n)
        return (state.o, state.escaped)
    }

    /// The chunks of an HTML body for ``encode(_:to:chunks:cache:)``: it is cut before
    /// each `<`, and the pieces of at least ``minimumCount`` bytes (a tag and the text
    /// after it up to the next tag) are chunks.
    struct HTMLPieces: Sequence, IteratorProtocol {
        /// The shortest piece that is a chunk.
        static var minimumCount: Int { 64 }

        private let html: UnsafeBufferPointer<UInt8>
        private var start = 0

        init(_ html: UnsafeBufferPointer<UInt8>) {
            self.html = html
        }

        mutating func next() -> Range<Int>? {
            guard let base = html.baseAddress else { return nil }
            let n = html.count
            while start < n {
                let from = start
                // The next "<" after the piece's first byte.
                let rest = UnsafeRawPointer(base + from + 1)
                let end = memchr(rest, Int32(UInt8(ascii: "<")), n - from - 1).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? n
                start = end
                if end - from >= Self.minimumCount { return from..<end }
            }
            return nil
        }
    }
}
