import HeraldCore
import HeraldProtos

extension Profile {
    /// The domain profile of an upsert row. Output-only fields (`created_at`,
    /// `updated_at`) are ignored; an unset subscription means SUBSCRIBED.
    ///
    /// - Throws: ``HeraldError/Code/invalidArgument`` for a subscription value that is
    ///   not in the enum.
    init(proto: Herald_V1_Profile) throws(HeraldError) {
        let subscription: Subscription
        switch proto.subscription {
        case .unspecified, .subscribed: subscription = .subscribed
        case .unsubscribed: subscription = .unsubscribed
        case .denylisted: subscription = .denylisted
        case .unrecognized(let value):
            throw .invalidArgument("profile '\(proto.id)': subscription \(value) is not a known value")
        }
        self.init(
            id: proto.id, email: proto.email, firstName: proto.firstName, lastName: proto.lastName,
            locale: proto.locale, timeZone: proto.timeZone, tags: proto.tags, attributes: proto.attributes,
            subscription: subscription
        )
    }

    /// This profile as the API returns it.
    var proto: Herald_V1_Profile {
        var message = Herald_V1_Profile()
        message.id = id
        message.email = email
        message.firstName = firstName
        message.lastName = lastName
        message.locale = locale
        message.timeZone = timeZone
        message.tags = tags
        message.attributes = attributes
        message.subscription = subscription.proto
        message.createdAt = createdAt.proto
        message.updatedAt = updatedAt.proto
        return message
    }
}

extension Profile.Subscription {
    /// The subscription a request sets; `field` names it in the error.
    ///
    /// - Throws: ``HeraldError/Code/invalidArgument`` for UNSPECIFIED or an unknown value.
    init(proto: Herald_V1_Subscription, field: String) throws(HeraldError) {
        switch proto {
        case .subscribed: self = .subscribed
        case .unsubscribed: self = .unsubscribed
        case .denylisted: self = .denylisted
        case .unspecified:
            throw .invalidArgument("\(field) is required (SUBSCRIBED, UNSUBSCRIBED or DENYLISTED)")
        case .unrecognized(let value):
            throw .invalidArgument("\(field): \(value) is not a known subscription")
        }
    }

    var proto: Herald_V1_Subscription {
        switch self {
        case .subscribed: .subscribed
        case .unsubscribed: .unsubscribed
        case .denylisted: .denylisted
        }
    }
}
