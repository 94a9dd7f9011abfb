import HeraldCore
@testable import HeraldPersonalization
import Testing

/// The fast renderer against the reference (swift-mustache itself): the same bytes for
/// random profiles over templates using every supported construct.
@Suite("Fast renderer = reference renderer")
struct RendererDifferentialTests {
    /// A deterministic generator (SplitMix64).
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Pieces of values: HTML specials, unicode (combining marks and prepend characters
    /// beside specials, emoji, CJK), line breaks, and the false-looking attribute values.
    static let pieces = [
        "Ann", "Bo", "&", "<", ">", "\"", "'", "<b>", "a&b", "Å", "é", "e\u{301}", "&\u{301}", "<\u{20DD}", "\u{600}<",
        "\"\u{301}", "日本", "👩‍👩‍👧", "🇸🇪", " ", "\n", "\r\n", "false", "0", "true", "1", "{{x}}", "%", "/",
    ]

    static func value(_ g: inout Generator) -> String {
        switch Int.random(in: 0..<10, using: &g) {
        case 0: return ""
        case 1: return ["false", "0", "true"].randomElement(using: &g)!
        default:
            return (0..<Int.random(in: 1...4, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined()
        }
    }

    static func profile(_ g: inout Generator) -> Profile {
        var attributes: [String: String] = [:]
        for key in ["city", "vip", "gold", "plan", "email", "tags", "attributes", "first_name"] where Bool.random(using: &g) {
            attributes[key] = value(&g)
        }
        let tags = (0..<Int.random(in: 0...3, using: &g)).map { _ in value(&g) }
        return Profile(
            id: "p\(Int.random(in: 0..<1000, using: &g))", email: value(&g), firstName: value(&g), lastName: value(&g),
            locale: value(&g), timeZone: value(&g), tags: tags, attributes: attributes,
            subscription: Bool.random(using: &g) ? .subscribed : .unsubscribed
        )
    }

    static let htmlTemplates = [
        """
        <html><body>
        <h1>Hello {{first_name}} {{last_name}}</h1>
        <p>{{attributes.city}} ({{attributes.plan}}) {{{first_name}}} {{& last_name}} {{ email }}</p>
        {{#attributes.vip}}
          <p>VIP {{attributes.vip}} {{.}} {{first_name}}</p>
        {{/attributes.vip}}
        {{^attributes.gold}}no gold{{/attributes.gold}}{{#attributes.gold}}gold: {{.}}{{/attributes.gold}}
        {{! a comment }}
        {{#tags}}[{{.}}|{{first_name}}]{{/tags}}{{^tags}}no tags{{/tags}}
        {{#attributes}}{{city}}/{{email}}/{{tags}}/{{first_name}}/{{attributes}}/{{missing}}{{/attributes}}
        {{#first_name}}({{.}}){{/first_name}}{{^first_name}}anonymous{{/first_name}}
        {{#attributes}}{{#attributes}}nested {{city}}{{/attributes}}{{/attributes}}
        {{attributes.city.x}} {{first_name.x}} {{unknown}} {{attributes.}} {{id}} {{locale}} {{time_zone}} {{subscription}}
        <a href="https://shop.example.com/{{attributes.city}}?a=1&b=2">shop</a> <a href='http://x.example.com'>x</a>
        <a href="mailto:{{email}}">mail</a> <a href="{{unsubscribe_url}}">unsubscribe</a> {{unsubscribe_url}} {{view_id}}
        {{#view_id}}v={{.}}{{/view_id}}{{#unsubscribe_url}}u={{.}}{{/unsubscribe_url}}
        </body></html>
        """,
        "<p>{{#tags}}{{#.}}<{{.}}>{{/.}}{{^.}}empty{{/.}}{{/tags}}</p>{{%CONTENT_TYPE:TEXT}}{{first_name}}<br>",
        "{{tags}} and {{attributes}}", // printed with String(describing:): the reference path
        "{{#attributes.plan}}{{#tags}}{{attributes.plan}}:{{.}}{{/tags}}{{/attributes.plan}} no body tag",
    ]

    static let subjects = ["Hi {{first_name}} & {{attributes.city}}", "{{#attributes.vip}}VIP {{/attributes.vip}}offer", "{{last_name}}"]
    static let texts: [String?] = [nil, "Hello {{first_name}} <{{email}}>\n{{#tags}}- {{.}}\n{{/tags}}{{unsubscribe_url}}"]

    /// A signer that is not ``UnsignedTrackingTokens`` (the fast path asks it for every URL).
    struct OtherSigner: TrackingTokenSigner {
        func token(trackingID: String, action: TrackingAction) -> String { "t-\(trackingID)-\(action.pathLetter)" }
    }

    static let optionSets = [
        RenderingOptions(trackingBaseURL: "https://t.example.com"),
        RenderingOptions(trackingBaseURL: "https://t.example.com/", trackingEnabled: false),
        RenderingOptions(trackingBaseURL: "https://t.example.com/a&b", signer: OtherSigner()),
        RenderingOptions(trackingBaseURL: "https://t.example.com/<é>"),
    ]

    @Test("random profiles: identical subject, HTML, text, size and failures")
    func randomProfiles() throws {
        var g = Generator(state: 42)
        var compared = 0
        for html in Self.htmlTemplates {
            for subject in Self.subjects {
                for text in Self.texts {
                    for options in Self.optionSets {
                        let content = Delivery.Content(subject: subject, sender: .init(address: "s@example.com"), htmlBody: html, textBody: text)
                        let fast = try MustacheMessageRenderer().compile(content, options: options)
                        let slow = try MustacheReferenceRenderer().compile(content, options: options)
                        #expect(fast is ProgramCompiledMessage)
                        #expect(fast.trackedLinks == slow.trackedLinks)
                        for _ in 0..<40 {
                            let profile = Self.profile(&g)
                            let identity = MessageIdentity(trackingID: Bool.random(using: &g) ? "d1.\(compared)" : "d é/\(compared)")
                            let expected = Result { () throws(PersonalizationError) in try slow.render(profile, identity: identity) }
                            let actual = Result { () throws(PersonalizationError) in try fast.render(profile, identity: identity) }
                            let size = Result { () throws(PersonalizationError) in try fast.messageSize(profile, identity: identity) }
                            #expect(actual == expected, "profile \(profile)")
                            #expect(size == expected.map(\.size))
                            compared += 1
                        }
                    }
                }
            }
        }
        #expect(compared == 4 * 3 * 2 * 4 * 40)
    }

    @Test("the escaping table matches swift-mustache's Character loop")
    func escaping() {
        var g = Generator(state: 7)
        for _ in 0..<2000 {
            let text = (0..<Int.random(in: 0...6, using: &g)).map { _ in Self.pieces.randomElement(using: &g)! }.joined()
            var fast: [UInt8] = []
            HTMLEscaping.append(text, to: &fast)
            var slow: [UInt8] = []
            HTMLEscaping.appendByCharacter(text, to: &slow)
            #expect(fast == slow, "\(text.debugDescription)")
        }
    }

    @Test("transforms and names relative to the current object: the reference path, same bytes")
    func referenceFallback() throws {
        let content = Delivery.Content(
            subject: "{{first_name}}", sender: .init(address: "s@example.com"),
            htmlBody: "{{uppercased(first_name)}} {{#tags}}{{.first}}{{/tags}} {{tags.count}}", textBody: nil
        )
        let options = RenderingOptions(trackingBaseURL: "https://t.example.com")
        let fast = try MustacheMessageRenderer().compile(content, options: options)
        #expect(!(fast is ProgramCompiledMessage))
        let slow = try MustacheReferenceRenderer().compile(content, options: options)
        var g = Generator(state: 3)
        for _ in 0..<20 {
            let profile = Self.profile(&g)
            let identity = MessageIdentity(trackingID: "d.1")
            #expect(
                Result { () throws(PersonalizationError) in try fast.render(profile, identity: identity) }
                    == Result { () throws(PersonalizationError) in try slow.render(profile, identity: identity) }
            )
        }
    }

    @Test("partials, set-delimiter tags and inheritance are template errors", arguments: [
        "{{> header}}", "{{=<% %>=}}", "{{$block}}x{{/block}}", "{{<parent}}{{/parent}}",
    ])
    func unsupported(template: String) {
        let content = Delivery.Content(subject: "s", sender: .init(address: "s@example.com"), htmlBody: template)
        #expect(throws: TemplateSyntaxError.self) {
            try MustacheMessageRenderer().compile(content, options: RenderingOptions(trackingBaseURL: "https://t.example.com"))
        }
    }
}
