/// The outcome of ``ProfileStore/upsertProfiles(_:at:)``.
public struct ProfileUpsertResult: Sendable {
    /// A row of the batch that was refused.
    public struct RowError: Sendable {
        /// The row's 0-based index in the batch.
        public var index: Int
        /// The row's profile id, possibly empty.
        public var id: String
        /// Why it was refused (an ``HeraldError/Code/invalidArgument`` error).
        public var error: HeraldError

        /// Creates a row error.
        public init(index: Int, id: String, error: HeraldError) {
            self.index = index
            self.id = id
            self.error = error
        }
    }

    /// Rows that created a profile.
    public var created: Int
    /// Rows that replaced an existing profile (a repeated id in one batch counts again).
    public var updated: Int
    /// Rows that were refused; the others were written.
    public var errors: [RowError]

    /// Creates a result.
    public init(created: Int = 0, updated: Int = 0, errors: [RowError] = []) {
        self.created = created
        self.updated = updated
        self.errors = errors
    }
}
