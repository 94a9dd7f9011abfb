public import HeraldCore
import Synchronization

/// Finds where a click goes: tracked link number N of the delivery's HTML content (as
/// ``CompiledMessage/trackedLinks`` numbers them), rendered for the message's recipient
/// when it holds personalization fields, then HTML-unescaped (`&amp;` → `&`: what a mail
/// client follows). Nothing else can come out: a click never redirects outside the
/// delivery's content.
///
/// Compiled links are cached per delivery and dropped when its content changes.
public final class TrackedLinkResolver: Sendable {
    private enum Link: Sendable {
        case fixed(String)
        case templated(any CompiledMessage)
    }

    private struct Entry: Sendable {
        var content: Delivery.Content
        var links: [Link]
    }

    /// The most deliveries whose links are cached.
    static let cacheLimit = 256

    private let deliveries: any DeliveryStore
    private let profiles: any ProfileStore
    private let renderer: any MessageRenderer
    private let options: RenderingOptions
    private let cache = Mutex<[String: Entry]>([:])

    /// Creates a resolver; `options` are the tracking base URL and signer that rendering
    /// uses (for `{{unsubscribe_url}}` inside a link).
    public init(deliveries: any DeliveryStore, profiles: any ProfileStore, renderer: any MessageRenderer, options: RenderingOptions) {
        self.deliveries = deliveries
        self.profiles = profiles
        self.renderer = renderer
        self.options = options
    }

    /// The URL of tracked link `index` of `message`'s delivery for its recipient, or nil
    /// when the delivery, the link or (for a personalized link) the profile is missing.
    ///
    /// - Throws: ``HeraldError`` when a store fails.
    public func url(index: Int, message: TrackedMessage) async throws -> String? {
        guard let delivery = try await deliveries.delivery(id: message.deliveryID) else { return nil }
        let links = try links(of: delivery)
        guard index >= 0, index < links.count else { return nil }
        switch links[index] {
        case .fixed(let url):
            return url
        case .templated(let compiled):
            guard let profile = try await profiles.profile(id: message.profileID) else { return nil }
            let identity = MessageIdentity(trackingID: PreparedMessage.trackingID(deliveryID: message.deliveryID, sequence: message.sequence))
            guard let rendered = try? compiled.render(profile, identity: identity) else { return nil }
            return Self.htmlUnescaped(rendered.html)
        }
    }

    /// Every tracked link of `message`'s delivery, rendered for its recipient (a link
    /// that cannot be rendered is left out).
    ///
    /// - Throws: ``HeraldError`` when a store fails.
    public func urls(message: TrackedMessage) async throws -> [String] {
        guard let delivery = try await deliveries.delivery(id: message.deliveryID) else { return [] }
        var urls: [String] = []
        for index in try links(of: delivery).indices {
            if let url = try await url(index: index, message: message) { urls.append(url) }
        }
        return urls
    }

    private func links(of delivery: Delivery) throws -> [Link] {
        if let entry = cache.withLock({ $0[delivery.id] }), entry.content == delivery.content { return entry.links }
        var links: [Link] = []
        if let compiled = try? renderer.compile(delivery.content, options: RenderingOptions(
            trackingBaseURL: options.trackingBaseURL, trackingEnabled: true, signer: options.signer
        )) {
            for template in compiled.trackedLinks {
                if template.contains("{{") {
                    let content = Delivery.Content(subject: "", sender: delivery.content.sender, htmlBody: template)
                    let plain = RenderingOptions(trackingBaseURL: options.trackingBaseURL, trackingEnabled: false, signer: options.signer)
                    if let linkCompiled = try? renderer.compile(content, options: plain) {
                        links.append(.templated(linkCompiled))
                    } else {
                        links.append(.fixed(Self.htmlUnescaped(template)))
                    }
                } else {
                    links.append(.fixed(Self.htmlUnescaped(template)))
                }
            }
        }
        cache.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[delivery.id] = Entry(content: delivery.content, links: links)
        }
        return links
    }

    /// Decodes the HTML character references an attribute value may hold: `&amp; &lt;
    /// &gt; &quot; &apos; &#39;`, and numeric `&#N;` / `&#xN;`.
    static func htmlUnescaped(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[amp...]
            if let semicolon = after.prefix(12).firstIndex(of: ";") {
                let name = after[after.index(after: amp)..<semicolon]
                if let decoded = Self.reference(name) {
                    out += decoded
                    rest = after[after.index(after: semicolon)...]
                    continue
                }
            }
            out += "&"
            rest = after.dropFirst()
        }
        out += rest
        return out
    }

    private static func reference(_ name: Substring) -> String? {
        switch name {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        default:
            guard name.first == "#" else { return nil }
            let digits = name.dropFirst()
            let value: UInt32?
            if digits.first == "x" || digits.first == "X" {
                value = UInt32(digits.dropFirst(), radix: 16)
            } else {
                value = UInt32(digits, radix: 10)
            }
            return value.flatMap(Unicode.Scalar.init).map { String(Character($0)) }
        }
    }
}
