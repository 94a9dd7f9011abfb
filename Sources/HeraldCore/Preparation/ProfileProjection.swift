/// Which of a profile's fields a reader needs: what the targeting phase reads with each
/// target when the messages are rendered as they are targeted (the profile is then read
/// once, and only the columns the templates use).
///
/// The id, the email address and the subscription are always read.
public struct ProfileProjection: Hashable, Sendable {
    /// The profile fields to read by their API names (``PersonalizationFields/profileFields``
    /// but `attributes`), e.g. `first_name`.
    public var fields: Set<String>
    /// The attribute keys to read (all of them when ``allAttributes``).
    public var attributeKeys: Set<String>
    /// Whether every attribute is read.
    public var allAttributes: Bool

    /// Creates a projection.
    public init(fields: Set<String> = [], attributeKeys: Set<String> = [], allAttributes: Bool = false) {
        self.fields = fields
        self.attributeKeys = attributeKeys
        self.allAttributes = allAttributes
    }

    /// Every field and attribute.
    public static var all: ProfileProjection {
        ProfileProjection(fields: PersonalizationFields.profileFields.subtracting(["attributes"]), allAttributes: true)
    }

    /// What templates with these analyses can look up: the head of every field name
    /// (a name inside a section may resolve in the profile too), `attributes.<key>`,
    /// and every attribute when a template uses `attributes` itself or names inside an
    /// `attributes` section; everything when a template uses `.` outside any section.
    public init(templates analyses: [TemplateAnalysis]) {
        self.init()
        for field in analyses.flatMap(\.fields) {
            if field.name == "." {
                if field.enclosingSections.isEmpty { self = .all; return }
                continue
            }
            if field.enclosingSections.contains(where: { $0 == "attributes" }) { allAttributes = true }
            let path = field.name.split(separator: ".", omittingEmptySubsequences: false)
            guard let head = path.first.map(String.init) else { continue }
            if head == "attributes" {
                if path.count >= 2 { attributeKeys.insert(String(path[1])) } else { allAttributes = true }
            } else if PersonalizationFields.profileFields.contains(head) {
                fields.insert(head)
            }
        }
    }

    /// Whether the attribute `key` is read.
    public func includes(attribute key: String) -> Bool {
        allAttributes || attributeKeys.contains(key)
    }
}
