import HeraldCore
import Mustache

/// The root object a message renders with: the profile's fields by their API names,
/// the built-ins, and the tracking URLs of the rewritten template. Lookups go through
/// `MustacheParent` (a switch), never through reflection.
struct MessageContext: MustacheParent {
    static let clickPrefix = "__herald_click_"
    static let openName = "__herald_open"

    let profile: Profile
    let identity: MessageIdentity
    let options: RenderingOptions

    func child(named name: String) -> Any? {
        switch name {
        case "id": return TextValue(profile.id)
        case "email": return TextValue(profile.email)
        case "first_name": return TextValue(profile.firstName)
        case "last_name": return TextValue(profile.lastName)
        case "locale": return TextValue(profile.locale)
        case "time_zone": return TextValue(profile.timeZone)
        case "subscription": return TextValue(profile.subscription.rawValue)
        case "tags": return profile.tags.isEmpty ? nil : profile.tags.map { TextValue($0) }
        case "attributes": return AttributesValue(attributes: profile.attributes)
        case "unsubscribe_url": return TextValue(options.url(.unsubscribe, trackingID: identity.trackingID))
        case "view_id": return TextValue(identity.trackingID)
        case Self.openName: return TextValue(options.url(.open, trackingID: identity.trackingID))
        default:
            if name.hasPrefix(Self.clickPrefix), let index = Int(name.dropFirst(Self.clickPrefix.count)) {
                return TextValue(options.url(.click(index: index), trackingID: identity.trackingID))
            }
            return nil
        }
    }
}

/// A string value: rendered as is (escaped in HTML), false in a section when empty.
/// Attribute values are also false when `"false"` or `"0"` (attributes are strings).
struct TextValue: MustacheCustomRenderable, MustacheParent {
    let value: String
    let isNull: Bool

    init(_ value: String) {
        self.value = value
        isNull = value.isEmpty
    }

    init(attribute value: String) {
        self.value = value
        isNull = value.isEmpty || value == "false" || value == "0"
    }

    var renderText: String { value }

    /// A string has no children: names inside its section resolve in the outer context.
    func child(named name: String) -> Any? { nil }
}

/// `attributes`: each key resolves to its value; a missing key to nothing.
struct AttributesValue: MustacheParent {
    let attributes: [String: String]

    func child(named name: String) -> Any? {
        attributes[name].map(TextValue.init(attribute:))
    }
}
