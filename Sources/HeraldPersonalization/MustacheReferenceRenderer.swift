public import HeraldCore
import Mustache

/// The reference ``MessageRenderer``: renders each message with swift-mustache itself
/// (dynamic lookups through `MustacheParent`, `Character` escaping). Slow (tens of
/// microseconds a message); ``MustacheMessageRenderer`` gives the same bytes fast and
/// falls back to this one for what it does not compile. Kept for that fallback and for
/// the differential tests.
///
/// - Fields: the profile's fields by their API names (`{{first_name}}`, `{{email}}`,
///   `{{attributes.city}}`, `{{#tags}}{{.}}{{/tags}}`), the built-ins
///   `{{unsubscribe_url}}` (`<tracking base>/u/<token>`) and `{{view_id}}` (the message's
///   tracking id). A string is false in a section when empty; an attribute also when
///   `"false"` or `"0"`, so `{{#attributes.vip}}…{{/attributes.vip}}` reads naturally.
/// - The subject and the text body render as text, the HTML body as HTML (values escaped).
/// - With tracking on, every `href` of the HTML body that is an absolute http(s) URL is
///   replaced by `<tracking base>/c/<token>` (token of the message's tracking id and the
///   link's index, counted in the template, so the same in every message), and an open
///   pixel `<tracking base>/o/<token>` is inserted before `</body>` (or appended).
/// - Unsupported (syntax errors): partials, set-delimiter tags, template inheritance.
/// - A message fails (PERSONALIZATION_ERROR) when its rendered subject holds a line break.
///
/// Rendering is deterministic: the same content, profile and identity give the same bytes.
public struct MustacheReferenceRenderer: MessageRenderer {
    /// Creates the renderer.
    public init() {}

    public func analyze(_ template: String, part: TemplatePart, trackLinks: Bool) throws(TemplateSyntaxError) -> TemplateAnalysis {
        _ = try Self.parse(template, part: part)
        let fields = try TagScanner(template, part: part).fields()
        guard part == .html else { return TemplateAnalysis(fields: fields) }
        var next = 0
        let links = LinkScanner(template).links().map { link in
            var index: Int?
            if trackLinks && LinkScanner.isTracked(link.value) {
                index = next
                next += 1
            }
            return TemplateAnalysis.Link(url: link.value, line: link.line, column: link.column, trackingIndex: index)
        }
        return TemplateAnalysis(fields: fields, links: links)
    }

    public func compile(_ content: Delivery.Content, options: RenderingOptions) throws(TemplateSyntaxError) -> any CompiledMessage {
        try compiled(content, options: options)
    }

    /// ``compile(_:options:)`` with its concrete type (the fast renderer reads its templates).
    func compiled(_ content: Delivery.Content, options: RenderingOptions) throws(TemplateSyntaxError) -> MustacheCompiledMessage {
        var parts: [(TemplatePart, String)] = [(.subject, content.subject), (.html, content.htmlBody)]
        if let text = content.textBody { parts.append((.text, text)) }
        for (part, source) in parts {
            _ = try Self.parse(source, part: part)
            _ = try TagScanner(source, part: part).fields()
        }
        var html = content.htmlBody
        var trackedLinks: [String] = []
        if options.trackingEnabled {
            (html, trackedLinks) = LinkScanner(content.htmlBody).rewritten(pixel: true)
        }
        return MustacheCompiledMessage(
            subject: try Self.parse(Self.textPragma + content.subject, part: .subject),
            html: try Self.parse(html, part: .html),
            text: try content.textBody.map { source throws(TemplateSyntaxError) in try Self.parse(Self.textPragma + source, part: .text) },
            trackedLinks: trackedLinks,
            options: options
        )
    }

    /// Switches a template to text rendering (no HTML escaping).
    private static let textPragma = "{{%CONTENT_TYPE:TEXT}}"

    static func parse(_ source: String, part: TemplatePart) throws(TemplateSyntaxError) -> MustacheTemplate {
        do {
            return try MustacheTemplate(string: source)
        } catch let error as MustacheTemplate.ParserError {
            throw TemplateSyntaxError(
                part: part, line: error.context.lineNumber, column: error.context.columnNumber, reason: Self.reason(error.error)
            )
        } catch {
            throw TemplateSyntaxError(part: part, line: 1, column: 1, reason: "\(error)")
        }
    }

    private static func reason(_ error: any Error) -> String {
        guard let error = error as? MustacheTemplate.Error else { return "\(error)" }
        switch error {
        case .sectionCloseNameIncorrect: return "a section is closed with another name than it was opened with"
        case .unfinishedName: return "a tag is not closed or its name is malformed"
        case .expectedSectionEnd: return "a section is not closed"
        case .invalidSetDelimiter: return "malformed set-delimiter tag"
        case .transformAppliedToInheritanceSection: return "a transform is applied to an inheritance section"
        case .illegalTokenInsideInheritSection: return "illegal tag inside an inheritance section"
        case .textInsideInheritSection: return "text inside an inheritance section"
        case .invalidConfigVariableSyntax: return "malformed pragma tag"
        case .unrecognisedConfigVariable: return "unknown pragma"
        }
    }
}
