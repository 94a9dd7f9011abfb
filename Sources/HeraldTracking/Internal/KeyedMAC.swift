internal import Crypto

/// HMAC-SHA256 under one key with its keyed inner and outer states computed once:
/// each MAC copies them (swift-crypto's `HMAC` is a value type) and hashes the message.
struct KeyedMAC: @unchecked Sendable {
    // @unchecked: `prepared` is never mutated after init; each use works on a copy (a
    // value type whose hasher storage is copy-on-write), so sharing it across threads is
    // read-only sharing.
    private let prepared: HMAC<SHA256>

    init(secret: [UInt8]) {
        prepared = HMAC<SHA256>(key: SymmetricKey(data: secret))
    }

    /// Writes the first 12 bytes of HMAC-SHA256(`message`) to `mac`.
    func authenticate(_ message: UnsafeRawBufferPointer, into mac: inout MAC12) {
        var hmac = prepared
        hmac.update(data: message)
        let code = hmac.finalize()
        code.withUnsafeBytes { bytes in
            withUnsafeMutableBytes(of: &mac) { out in
                out.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<HMACTrackingTokens.macLength]))
            }
        }
    }
}
