extension Profile {
    /// The longest accepted `id`, in UTF-8 bytes.
    public static let maxIDLength = 256
    /// The most tags a profile may carry.
    public static let maxTags = 256
    /// The most attributes a profile may carry.
    public static let maxAttributes = 256

    /// Checks that the profile can be stored.
    ///
    /// Rules: `id` is non-empty and at most ``maxIDLength`` bytes; no string anywhere
    /// contains a NUL character (U+0000, which SQLite bindings would truncate); tags are
    /// non-empty; attribute keys are identifiers as the audience language writes them
    /// after `attributes.` (letters, digits, `_`, `.`, `-`, not starting with a digit,
    /// `.` or `-`); at most ``maxTags`` tags and ``maxAttributes`` attributes. The email
    /// address is not checked here: a bad address is an exclusion cause at preparation.
    ///
    /// - Throws: ``HeraldError`` with code ``HeraldError/Code/invalidArgument``.
    public func validate() throws(HeraldError) {
        guard !id.isEmpty else { throw .invalidArgument("profile id is missing") }
        guard id.utf8.count <= Self.maxIDLength else {
            throw .invalidArgument("profile id is longer than \(Self.maxIDLength) bytes")
        }
        if let name = Self.firstFieldWithNUL(id, email, firstName, lastName, locale, timeZone) {
            throw .invalidArgument("profile '\(id)': \(name) contains a NUL character")
        }
        guard tags.count <= Self.maxTags else {
            throw .invalidArgument("profile '\(id)' has more than \(Self.maxTags) tags")
        }
        for tag in tags {
            if tag.isEmpty { throw .invalidArgument("profile '\(id)' has an empty tag") }
            if Self.containsNUL(tag) { throw .invalidArgument("profile '\(id)': a tag contains a NUL character") }
        }
        guard attributes.count <= Self.maxAttributes else {
            throw .invalidArgument("profile '\(id)' has more than \(Self.maxAttributes) attributes")
        }
        for (key, value) in attributes {
            guard Self.isValidAttributeKey(key) else {
                throw .invalidArgument(
                    "profile '\(id)': attribute key '\(key)' is not valid (letters, digits, '_', '.', '-'; starting with a letter or '_')"
                )
            }
            if Self.containsNUL(value) {
                throw .invalidArgument("profile '\(id)': attribute '\(key)' contains a NUL character")
            }
        }
    }

    /// Whether `key` can name an attribute: ASCII letters, digits, `_`, `.` and `-`,
    /// starting with a letter or `_`, at most 128 bytes.
    public static func isValidAttributeKey(_ key: String) -> Bool {
        let bytes = key.utf8
        guard let first = bytes.first, bytes.count <= 128, first.isIdentifierStart else { return false }
        return bytes.allSatisfy { $0.isIdentifierStart || $0.isASCIIDigit || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// The API name of the first fixed string field holding a NUL, in the order id,
    /// email, first_name, last_name, locale, time_zone (no array built per profile).
    private static func firstFieldWithNUL(
        _ id: String, _ email: String, _ firstName: String, _ lastName: String, _ locale: String, _ timeZone: String
    ) -> String? {
        if containsNUL(id) { return "id" }
        if containsNUL(email) { return "email" }
        if containsNUL(firstName) { return "first_name" }
        if containsNUL(lastName) { return "last_name" }
        if containsNUL(locale) { return "locale" }
        if containsNUL(timeZone) { return "time_zone" }
        return nil
    }

    /// Whether `text` holds a NUL byte, scanning its UTF-8 storage directly.
    private static func containsNUL(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { $0.contains(0) } ?? text.utf8.contains(0)
    }
}

extension UInt8 {
    var isASCIIDigit: Bool { self >= 48 && self <= 57 }
    var isIdentifierStart: Bool {
        (self >= 65 && self <= 90) || (self >= 97 && self <= 122) || self == UInt8(ascii: "_")
    }
}
