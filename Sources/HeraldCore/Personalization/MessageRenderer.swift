/// Turns a delivery's content into personalized messages (the template language lives
/// behind it: HeraldPersonalization implements it with Mustache).
///
/// Templates may use the profile's fields (`{{first_name}}`, `{{attributes.city}}`,
/// sections such as `{{#attributes.vip}}…{{/attributes.vip}}`) and the built-ins
/// `{{unsubscribe_url}}` and `{{view_id}}` (see ``PersonalizationFields``).
public protocol MessageRenderer: Sendable {
    /// Parses one template and lists what it refers to; links are listed for
    /// ``TemplatePart/html`` only, with tracking indices as ``compile(_:options:)``
    /// assigns them when `trackLinks` is true.
    ///
    /// The fields listed must cover every profile field the compiled templates read: a
    /// preparation reads only those (``ProfileProjection/init(templates:)``).
    ///
    /// - Throws: the first syntax error.
    func analyze(_ template: String, part: TemplatePart, trackLinks: Bool) throws(TemplateSyntaxError) -> TemplateAnalysis

    /// Compiles a content for rendering many messages.
    ///
    /// - Throws: the first syntax error, subject first, then HTML, then text.
    func compile(_ content: Delivery.Content, options: RenderingOptions) throws(TemplateSyntaxError) -> any CompiledMessage
}

/// A compiled content: renders the message of any profile, deterministically.
public protocol CompiledMessage: Sendable {
    /// The message of `profile` with this identity. The same profile and identity give
    /// the same bytes, at preparation and at send time.
    ///
    /// - Throws: ``PersonalizationError`` when this profile's message cannot be made
    ///   (e.g. a line break in the rendered subject).
    func render(_ profile: Profile, identity: MessageIdentity) throws(PersonalizationError) -> RenderedMessage

    /// ``RenderedMessage/size`` of ``render(_:identity:)``'s message, which fails in the
    /// same cases, without building the strings when the implementation can (the
    /// preparation checks every message's size but keeps no body).
    func messageSize(_ profile: Profile, identity: MessageIdentity) throws(PersonalizationError) -> Int

    /// The original URL templates of the tracked links, by click index (what a click URL
    /// redirects to, rendered for the message's profile).
    var trackedLinks: [String] { get }
}

extension CompiledMessage {
    /// Renders the message and measures it.
    public func messageSize(_ profile: Profile, identity: MessageIdentity) throws(PersonalizationError) -> Int {
        try render(profile, identity: identity).size
    }
}
