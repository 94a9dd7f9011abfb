/// The syntax tree of a parsed, type-checked audience filter.
///
/// `and` and `or` are n-ary (flattened) so that long chains do not make the tree deep;
/// the depth of the tree is bounded by ``AudienceFilter/maxDepth``.
public indirect enum AudienceExpression: Hashable, Sendable {
    /// Matches every profile (the empty filter).
    case all
    /// Matches when every operand matches.
    case and([AudienceExpression])
    /// Matches when at least one operand matches.
    case or([AudienceExpression])
    /// Matches when the operand does not.
    case not(AudienceExpression)
    /// A single condition on one field.
    case predicate(AudiencePredicate)
}
