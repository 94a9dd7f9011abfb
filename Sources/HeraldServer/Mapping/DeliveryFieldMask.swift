import HeraldCore

/// The writable fields of a delivery an `UpdateDelivery` changes, from its `update_mask`.
///
/// Paths are the proto field names in snake case. A message path stands for every field
/// under it (`content` = `content.subject`, `content.sender.name`, …); an empty mask (or
/// `*`) means every writable field. Output-only paths and unknown paths are refused.
struct DeliveryFieldMask: Sendable, Equatable {
    /// A writable leaf field.
    enum Field: String, CaseIterable, Sendable {
        case name = "name"
        case contentSubject = "content.subject"
        case contentSenderName = "content.sender.name"
        case contentSenderAddress = "content.sender.address"
        case contentReplyTo = "content.reply_to"
        case contentHTMLBody = "content.html_body"
        case contentTextBody = "content.text_body"
        case audienceFilter = "audience.filter"
        case scheduleSendTime = "schedule.send_time"
        case scheduleValidUntil = "schedule.valid_until"
        case typologyRules = "typology.rules"
        case typologyRateLimit = "typology.rate_limit_per_second"
        case typologyTrackingDisabled = "typology.tracking_disabled"
    }

    /// The fields to copy, in declaration order.
    let fields: [Field]

    /// Every writable field.
    static let all = DeliveryFieldMask(fields: Field.allCases)

    /// The fields the client may not set.
    static let outputOnly: Set<String> = ["id", "state", "create_time", "update_time", "preparation", "kpis"]

    /// Every path accepted in a mask: the leaves and the message paths above them.
    static let acceptedPaths: [String] = {
        var paths: [String] = []
        for field in Field.allCases {
            let parts = field.rawValue.split(separator: ".")
            for end in 1...parts.count {
                let path = parts[..<end].joined(separator: ".")
                if !paths.contains(path) { paths.append(path) }
            }
        }
        return paths
    }()

    private init(fields: [Field]) {
        self.fields = fields
    }

    /// Parses the paths of an `update_mask`.
    ///
    /// - Throws: ``HeraldError/Code/invalidArgument`` naming the first bad path.
    init(paths: [String]) throws(HeraldError) {
        if paths.isEmpty || paths == ["*"] {
            self = .all
            return
        }
        var selected = Set<Field>()
        for path in paths {
            let matching = Field.allCases.filter { $0.rawValue == path || $0.rawValue.hasPrefix(path + ".") }
            if matching.isEmpty {
                let root = String(path.prefix { $0 != "." })
                if Self.outputOnly.contains(root) {
                    throw .invalidArgument("update_mask: '\(path)' is output only and cannot be updated")
                }
                throw .invalidArgument(
                    "update_mask: unknown field path '\(path)'; updatable paths are \(Self.acceptedPaths.joined(separator: ", "))"
                )
            }
            selected.formUnion(matching)
        }
        fields = Field.allCases.filter(selected.contains)
    }
}
