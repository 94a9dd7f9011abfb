/// One page of a keyset-paged listing.
public struct Page<Element: Sendable>: Sendable {
    /// The items of this page, in the listing's order.
    public var items: [Element]
    /// The cursor to pass as `after` for the next page, or `nil` on the last page.
    public var nextCursor: String?

    /// Creates a page.
    public init(items: [Element], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

extension Page: Equatable where Element: Equatable {}
