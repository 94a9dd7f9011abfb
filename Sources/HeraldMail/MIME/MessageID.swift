/// A `Message-ID` (RFC 5322 `msg-id`), stored without the angle brackets.
///
/// ``stable(deliveryID:recipientID:domain:)`` derives it from the delivery and the
/// recipient alone, so every attempt to send the same message carries the same id and a
/// duplicate (after a crash and a resend) is recognisable downstream.
public struct MessageID: Hashable, Sendable, CustomStringConvertible {
    /// The id without angle brackets, `left@right`.
    public var value: String

    /// Wraps an id given as `left@right` (angle brackets, if present, are removed).
    public init(_ value: String) {
        var v = Substring(value)
        if v.hasPrefix("<") { v = v.dropFirst() }
        if v.hasSuffix(">") { v = v.dropLast() }
        self.value = String(v)
    }

    /// The stable id of one recipient's message of one delivery:
    /// `herald.<delivery>.<recipient>@<domain>`.
    ///
    /// Characters of the ids outside `[A-Za-z0-9_-]` are written as `=XX` (`=` is an
    /// `atext` character), so the id is valid whatever the ids hold and the two ids can
    /// be read back from it. An id part longer than 120 characters is replaced by its
    /// 64-bit FNV-1a hash in hex, to keep the header line short.
    public static func stable(deliveryID: String, recipientID: String, domain: String) -> MessageID {
        let right = domain.isEmpty ? "herald.invalid" : escape(domain, keepDots: true)
        return MessageID("herald.\(escape(deliveryID, keepDots: false)).\(escape(recipientID, keepDots: false))@\(right)")
    }

    /// An id given without angle brackets (``StableMessageIDs``).
    init(unbracketed value: String) {
        self.value = value
    }

    /// The header form, `<left@right>`.
    public var description: String { "<\(value)>" }

    static func escape(_ s: String, keepDots: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 8)
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                out.append(byte)
            case UInt8(ascii: ".") where keepDots:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "="))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        if out.isEmpty { return "_" }
        if out.count > 120 { return "h" + String(fnv1a(s), radix: 16) }
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    static func fnv1a(_ s: String) -> UInt64 {
        var s = s
        return s.withUTF8 { utf8 in
            var hash = fnv1aBasis
            for byte in utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
            return hash
        }
    }

    /// `(fnv1a(a), fnv1a(b))`, the two computed side by side (each step of FNV-1a waits
    /// for the previous one: two independent chains keep the multiplier busy).
    static func fnv1a(_ a: String, _ b: String) -> (UInt64, UInt64) {
        var a = a
        var b = b
        return a.withUTF8 { a in
            b.withUTF8 { b in
                var hashA = fnv1aBasis
                var hashB = fnv1aBasis
                let common = min(a.count, b.count)
                for k in 0..<common {
                    hashA ^= UInt64(a[k])
                    hashA &*= 0x0000_0100_0000_01b3
                    hashB ^= UInt64(b[k])
                    hashB &*= 0x0000_0100_0000_01b3
                }
                for k in common..<a.count {
                    hashA ^= UInt64(a[k])
                    hashA &*= 0x0000_0100_0000_01b3
                }
                for k in common..<b.count {
                    hashB ^= UInt64(b[k])
                    hashB &*= 0x0000_0100_0000_01b3
                }
                return (hashA, hashB)
            }
        }
    }

    /// FNV-1a's starting value.
    static let fnv1aBasis: UInt64 = 0xcbf2_9ce4_8422_2325

    /// FNV-1a of `hash`'s input followed by `bytes` (`fnv1a(a + b)` is
    /// `fnv1a(b, continuing: fnv1a(a))`).
    static func fnv1a(_ bytes: [UInt8], continuing hash: UInt64) -> UInt64 {
        bytes.withUnsafeBufferPointer { buffer in
            var hash = hash
            for byte in buffer {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
            return hash
        }
    }
}
