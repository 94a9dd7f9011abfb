import Mustache

/// A Mustache template compiled for fast rendering: literal byte runs, and tags whose
/// names are split and resolved against the root context once, at compile time.
///
/// It is made from swift-mustache's own parse tree (read through `Mirror`, once per
/// template), so whitespace handling (standalone tags) and content-type pragmas are
/// exactly the parser's. It renders what ``MessageContext`` would render with
/// swift-mustache, byte for byte (checked by the differential tests), except for the
/// cases where rendering returns ``Outcome/needsReference`` (a tag whose value is a list,
/// the attributes object or the root itself, which swift-mustache prints with
/// `String(describing:)`): the caller then renders that message with the reference path.
struct TemplateProgram: Sendable {
    /// A field of the root context (``MessageContext/child(named:)``).
    enum RootField: Sendable, Equatable {
        case id, email, firstName, lastName, locale, timeZone, subscription, tags, attributes
        case unsubscribeURL, viewID, openPixel
        case click(Int)

        init?(_ name: String) {
            switch name {
            case "id": self = .id
            case "email": self = .email
            case "first_name": self = .firstName
            case "last_name": self = .lastName
            case "locale": self = .locale
            case "time_zone": self = .timeZone
            case "subscription": self = .subscription
            case "tags": self = .tags
            case "attributes": self = .attributes
            case "unsubscribe_url": self = .unsubscribeURL
            case "view_id": self = .viewID
            case MessageContext.openName: self = .openPixel
            default:
                guard name.hasPrefix(MessageContext.clickPrefix), let index = Int(name.dropFirst(MessageContext.clickPrefix.count))
                else { return nil }
                self = .click(index)
            }
        }
    }

    /// One component of a dotted name, with its meaning in the root context.
    struct Name: Sendable {
        var text: String
        var root: RootField?

        init(_ text: String) {
            self.text = text
            root = RootField(text)
        }
    }

    /// A tag's name: `.` (or nothing) is the current object; otherwise dotted components,
    /// the first looked up through the context stack, the others strictly.
    struct Reference: Sendable {
        /// Empty for the current object.
        var path: [Name]
    }

    /// How a reference is resolved at run time. The common shapes need no lookup
    /// through the context stack while it holds nothing but the root and values without
    /// children (text and URLs): ``MessageWriter`` checks that.
    enum Shape: Sendable, Equatable {
        /// `.`: the top of the stack.
        case current
        /// One name that is a field of the root.
        case root(RootField)
        /// `attributes.<key>`, key number `n` of ``TemplateProgram/attributeKeys``.
        case attribute(Int)
        /// Anything else: the general lookup of ``TemplateProgram/references``.
        case general
    }

    /// A compiled token; trivial (no reference counting) so the render loop copies none.
    enum Node: Sendable {
        /// Bytes of ``TemplateProgram/literals``.
        case literal(Range<Int>)
        /// `{{name}}` (escaped when `escape`) or `{{{name}}}` / `{{&name}}`: reference number `ref`.
        case variable(ref: Int, escape: Bool)
        /// `{{#name}}…{{/name}}` or, when `inverted`, `{{^name}}…{{/name}}`; its body is
        /// the nodes `body` of the same flat list, and the next sibling is at `body.upperBound`.
        case section(ref: Int, inverted: Bool, body: Range<Int>)
    }

    /// Every node, sections followed by their bodies; the top level is `nodes[topLevel]`
    /// minus the bodies.
    var nodes: [Node] = []
    /// The bytes of every literal run.
    var literals: [UInt8] = []
    /// The references, by number.
    var references: [Reference] = []
    /// The shapes of the references, by number.
    var shapes: [Shape] = []
    /// The keys of the `attributes.<key>` references.
    var attributeKeys: [String] = []
    /// The byte count of the literals, for reserving output capacity.
    var literalByteCount: Int { literals.count }

    /// Why a template cannot be compiled (it is then rendered by the reference path).
    struct Unsupported: Error {
        var what: String
    }

    /// Compiles a parsed template; `html` is the content type a render starts with.
    init(_ template: MustacheTemplate, html: Bool) throws(Unsupported) {
        try compile(template, escape: html)
    }

    private mutating func compile(_ template: MustacheTemplate, escape: Bool) throws(Unsupported) {
        guard let tokens = Mirror(reflecting: template).children.first(where: { $0.label == "tokens" })?.value else {
            throw Unsupported(what: "no token list in the parsed template")
        }
        var escape = escape
        var lastLiteral: Int?
        for token in Mirror(reflecting: tokens).children.map(\.value) {
            guard let child = Mirror(reflecting: token).children.first, let kind = child.label else {
                throw Unsupported(what: "unreadable token")
            }
            switch kind {
            case "text":
                guard let text = child.value as? String else { throw Unsupported(what: "unreadable text token") }
                let start = literals.count
                literals.append(contentsOf: text.utf8)
                if let index = lastLiteral, case .literal(let previous) = nodes[index], previous.upperBound == start {
                    nodes[index] = .literal(previous.lowerBound..<literals.count)
                } else if literals.count > start {
                    nodes.append(.literal(start..<literals.count))
                    lastLiteral = nodes.count - 1
                }
                continue
            case "variable", "unescapedVariable":
                let ref = try addReference(child.value)
                nodes.append(.variable(ref: ref, escape: kind == "variable" && escape))
            case "section", "invertedSection":
                let ref = try addReference(child.value)
                guard let body = Self.field("template", of: child.value) as? MustacheTemplate else {
                    throw Unsupported(what: "unreadable section")
                }
                let index = nodes.count
                nodes.append(.literal(0..<0))
                try compile(body, escape: escape)
                nodes[index] = .section(ref: ref, inverted: kind == "invertedSection", body: (index + 1)..<nodes.count)
            case "contentType":
                guard let type = child.value as? any MustacheContentType else { throw Unsupported(what: "unreadable content type") }
                switch type.escapeText("<&") {
                case "<&": escape = false
                case "&lt;&amp;": escape = true
                default: throw Unsupported(what: "custom content type")
                }
            default:
                throw Unsupported(what: "\(kind) tags")
            }
            lastLiteral = nil
        }
    }

    private mutating func addReference(_ tuple: Any) throws(Unsupported) -> Int {
        let reference = try Self.reference(tuple)
        let shape: Shape
        switch reference.path.count {
        case 0: shape = .current
        case 1: shape = reference.path[0].root.map(Shape.root) ?? .general
        case 2 where reference.path[0].root == .attributes:
            attributeKeys.append(reference.path[1].text)
            shape = .attribute(attributeKeys.count - 1)
        default: shape = .general
        }
        references.append(reference)
        shapes.append(shape)
        return references.count - 1
    }

    private static func field(_ label: String, of tuple: Any) -> Any? {
        Mirror(reflecting: tuple).children.first { $0.label == label }?.value
    }

    /// The name of a variable or section token, refusing transforms and names that start
    /// with a dot (other than `.` itself).
    private static func reference(_ tuple: Any) throws(Unsupported) -> Reference {
        guard let name = field("name", of: tuple) as? String, let transforms = field("transforms", of: tuple) as? [String] else {
            throw Unsupported(what: "unreadable tag")
        }
        guard transforms.isEmpty else { throw Unsupported(what: "transforms") }
        if name == "." { return Reference(path: []) }
        guard name.first != "." else { throw Unsupported(what: "names relative to the current object") }
        return Reference(path: name.split(separator: ".").map { Name(String($0)) })
    }
}
