extension String {
    /// Whether the string starts with `prefix` (lower-case ASCII) in any letter case: the
    /// same answer as `lowercased().hasPrefix(prefix)` for such a prefix, without making
    /// the lower-cased copy.
    func hasASCIIPrefixIgnoringCase(_ prefix: StaticString) -> Bool {
        var string = self
        return string.withUTF8 { bytes in
            prefix.withUTF8Buffer { expected in
                guard bytes.count >= expected.count else { return false }
                for k in 0..<expected.count {
                    let b = bytes[k]
                    guard (b >= 65 && b <= 90 ? b + 32 : b) == expected[k] else { return false }
                }
                return true
            }
        }
    }
}
