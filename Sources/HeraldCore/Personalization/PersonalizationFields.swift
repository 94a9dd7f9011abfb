/// The names a template may use, and which ones match no profile field.
public enum PersonalizationFields {
    /// The profile's own fields, by their API names.
    public static let profileFields: Set<String> = [
        "id", "email", "first_name", "last_name", "locale", "time_zone", "subscription", "tags", "attributes",
    ]
    /// The built-ins: the message's unsubscribe URL and its view id.
    public static let builtIns: Set<String> = ["unsubscribe_url", "view_id"]

    /// Whether `field` resolves to something a profile or a message can have.
    ///
    /// Known: `.`, a profile field, a built-in, and `attributes.<key>` for any key (a
    /// profile may have it). Inside an `attributes` section, any name (a key of the
    /// attributes). A longer path under a string field (`first_name.x`) is unknown.
    public static func isKnown(_ field: TemplateAnalysis.Field) -> Bool {
        let name = field.name
        if name == "." { return true }
        if field.enclosingSections.contains("attributes") { return true }
        let path = name.split(separator: ".", omittingEmptySubsequences: false)
        guard let head = path.first.map(String.init) else { return false }
        if path.count == 1 { return profileFields.contains(head) || builtIns.contains(head) }
        return head == "attributes" && path.count == 2 && !path[1].isEmpty
    }
}
