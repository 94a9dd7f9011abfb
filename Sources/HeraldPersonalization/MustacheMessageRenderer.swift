public import HeraldCore
import Mustache

/// ``MessageRenderer`` with Mustache: swift-mustache parses and validates each template
/// once per delivery; the parse tree is compiled into a ``TemplateProgram`` (literal byte
/// runs, names resolved to profile fields, attributes, built-ins and tracking slots) that
/// renders a message by appending bytes, a few microseconds a message.
///
/// The output is that of ``MustacheReferenceRenderer`` byte for byte (differential tests):
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
/// - Unsupported (template syntax errors at compile time): partials, set-delimiter tags
///   (custom delimiters), template inheritance. Lambdas cannot occur (values are strings).
/// - A message fails (PERSONALIZATION_ERROR) when its rendered subject holds a line break.
/// - What the program does not compile (transforms such as `{{uppercased(x)}}`, names
///   starting with a dot) or a tag printing a list or an object (`{{tags}}`) is rendered
///   by ``MustacheReferenceRenderer``: same bytes, slower.
///
/// Rendering is deterministic: the same content, profile and identity give the same bytes.
public struct MustacheMessageRenderer: MessageRenderer {
    private let reference = MustacheReferenceRenderer()

    /// Creates the renderer.
    public init() {}

    public func analyze(_ template: String, part: TemplatePart, trackLinks: Bool) throws(TemplateSyntaxError) -> TemplateAnalysis {
        try reference.analyze(template, part: part, trackLinks: trackLinks)
    }

    public func compile(_ content: Delivery.Content, options: RenderingOptions) throws(TemplateSyntaxError) -> any CompiledMessage {
        let slow = try reference.compiled(content, options: options)
        do {
            return ProgramCompiledMessage(
                subject: try TemplateProgram(slow.subject, html: true),
                html: try TemplateProgram(slow.html, html: true),
                text: try slow.text.map { template throws(TemplateProgram.Unsupported) in try TemplateProgram(template, html: true) },
                reference: slow
            )
        } catch {
            return slow
        }
    }
}
