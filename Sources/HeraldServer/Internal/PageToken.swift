import Foundation
import HeraldCore

/// Opaque page tokens: the base64url of a listing's name and its keyset cursor, so a
/// client cannot mistake a token for an id nor reuse one across listings.
enum PageToken {
    /// Page size when the request leaves it at 0.
    static let defaultPageSize = 100
    /// Larger page sizes are capped to this.
    static let maxPageSize = 1_000

    /// The page size to use for a request's `page_size`.
    ///
    /// - Throws: ``HeraldError/Code/invalidArgument`` when negative.
    static func pageSize(_ requested: Int32) throws(HeraldError) -> Int {
        guard requested >= 0 else { throw .invalidArgument("page_size must not be negative (got \(requested))") }
        return requested == 0 ? defaultPageSize : min(Int(requested), maxPageSize)
    }

    /// The token for `cursor` of the listing `kind`, or "" for the last page.
    static func encode(_ cursor: String?, kind: String) -> String {
        guard let cursor else { return "" }
        let bytes = Data((kind + "\n" + cursor).utf8)
        return bytes.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The cursor of a request's `page_token` for the listing `kind` (nil for "").
    ///
    /// - Throws: ``HeraldError/Code/invalidArgument`` when the token was not made by
    ///   this listing.
    static func decode(_ token: String, kind: String) throws(HeraldError) -> String? {
        guard !token.isEmpty else { return nil }
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard token.utf8.count <= 4096,
              let data = Data(base64Encoded: base64),
              let text = String(bytes: data, encoding: .utf8),
              text.hasPrefix(kind + "\n")
        else {
            throw .invalidArgument("page_token is not valid: pass the next_page_token of the previous \(kind) page")
        }
        return String(text.dropFirst(kind.count + 1))
    }
}
