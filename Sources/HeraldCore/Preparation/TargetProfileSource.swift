/// Where a store keeps the projected fields of a batch of ``TargetRow``s as it read them
/// (e.g. the column bytes), so that the ``Profile``s are made by whoever needs them —
/// the preparation makes them on its rendering threads, in parallel — rather than by
/// the one thread that reads the store.
public protocol TargetProfileSource: Sendable {
    /// The profile of row `row` of the batch with the projection's fields (the others
    /// empty); `id`, `email` and `subscription` are the row's.
    func profile(row: Int, id: String, email: String, subscription: Profile.Subscription) -> Profile
}
