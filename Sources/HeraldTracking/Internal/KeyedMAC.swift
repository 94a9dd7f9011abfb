internal import Crypto

/// HMAC-SHA256 (RFC 2104) under one key over swift-crypto's `SHA256`, with the hashers
/// that absorbed the key's inner (`K ⊕ ipad`) and outer (`K ⊕ opad`) blocks made once:
/// a MAC copies them and hashes the message and the inner digest (two compressions for
/// a token, BoringSSL's SHA-256 with SHA-NI where the CPU has it).
///
/// Why not a keyed `HMAC<SHA256>` value copied per token: its generic `update(data:)` and
/// finalization measured ~2.5 µs per token here, against ~0.7 µs for this
/// (`make bench-tokens`). The tests check this against swift-crypto's `HMAC<SHA256>` on
/// random keys (shorter and longer than a block) and messages of every length to 300.
struct KeyedMAC: @unchecked Sendable {
    // @unchecked: `inner` and `outer` are never mutated after init; each MAC works on
    // copies (value types whose BoringSSL contexts are copy-on-write), so threads only
    // ever read the shared ones.
    private let inner: SHA256
    private let outer: SHA256

    init(secret: [UInt8]) {
        var key = secret.count > 64 ? Array(SHA256.hash(data: secret)) : secret
        key += [UInt8](repeating: 0, count: 64 - key.count)
        var innerHasher = SHA256()
        var outerHasher = SHA256()
        key.map { $0 ^ 0x36 }.withUnsafeBytes { innerHasher.update(bufferPointer: $0) }
        key.map { $0 ^ 0x5C }.withUnsafeBytes { outerHasher.update(bufferPointer: $0) }
        inner = innerHasher
        outer = outerHasher
    }

    /// Writes the first 12 bytes of HMAC-SHA256(`message`) to `mac`.
    func authenticate(_ message: UnsafeRawBufferPointer, into mac: inout MAC12) {
        var innerHasher = inner
        innerHasher.update(bufferPointer: message)
        let innerDigest = innerHasher.finalize()
        var outerHasher = outer
        innerDigest.withUnsafeBytes { outerHasher.update(bufferPointer: $0) }
        let digest = outerHasher.finalize()
        digest.withUnsafeBytes { bytes in
            withUnsafeMutableBytes(of: &mac) { out in
                out.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<HMACTrackingTokens.macLength]))
            }
        }
    }
}
