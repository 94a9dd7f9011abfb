/// What a parsed template refers to: its personalization fields and, for HTML, its links.
public struct TemplateAnalysis: Hashable, Sendable {
    /// A `{{name}}`, `{{{name}}}`, `{{&name}}`, `{{#name}}` or `{{^name}}` tag.
    public struct Field: Hashable, Sendable {
        /// The dotted name, e.g. `attributes.city` (`.` for the current item).
        public var name: String
        /// The line, from 1.
        public var line: Int
        /// The column, from 1.
        public var column: Int
        /// The names of the sections the tag is inside, outermost first.
        public var enclosingSections: [String]

        /// Creates a field reference.
        public init(name: String, line: Int, column: Int, enclosingSections: [String] = []) {
            self.name = name
            self.line = line
            self.column = column
            self.enclosingSections = enclosingSections
        }
    }

    /// An `href` attribute of the HTML body.
    public struct Link: Hashable, Sendable {
        /// The attribute's value as written in the template (may hold tags).
        public var url: String
        /// The line, from 1.
        public var line: Int
        /// The column, from 1.
        public var column: Int
        /// The click-tracking index when the link is an absolute http(s) URL that is
        /// rewritten (with tracking on), else `nil`.
        public var trackingIndex: Int?

        /// Creates a link.
        public init(url: String, line: Int, column: Int, trackingIndex: Int? = nil) {
            self.url = url
            self.line = line
            self.column = column
            self.trackingIndex = trackingIndex
        }
    }

    /// The fields referred to, in the order written.
    public var fields: [Field]
    /// The links, in the order written (HTML only).
    public var links: [Link]

    /// Creates an analysis.
    public init(fields: [Field] = [], links: [Link] = []) {
        self.fields = fields
        self.links = links
    }
}
