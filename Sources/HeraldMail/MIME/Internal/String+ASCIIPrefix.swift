extension String {
    /// Whether the string starts with `prefix` (lower-case ASCII) in any letter case: the
    /// same answer as `lowercased().hasPrefix(prefix)` for such a prefix, without making
    /// the lower-cased copy.
    func hasASCIIPrefixIgnoringCase(_ prefix: StaticString) -> Bool {
        var bytes = utf8.makeIterator()
        return prefix.withUTF8Buffer { expected in
            for wanted in expected {
                guard let b = bytes.next(), (b >= 65 && b <= 90 ? b + 32 : b) == wanted else { return false }
            }
            return true
        }
    }
}
