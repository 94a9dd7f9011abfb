import HeraldCore
import HeraldPersonalization
import Testing

@Suite("Mustache renderer")
struct MustacheMessageRendererTests {
    let renderer = MustacheMessageRenderer()
    let options = RenderingOptions(trackingBaseURL: "https://t.example.com")
    let identity = MessageIdentity(trackingID: "d1.7")
    let profile = Profile(
        id: "p1", email: "ann@example.com", firstName: "Ann & <Bo>", tags: ["a", "b"],
        attributes: ["city": "Lund", "vip": "true", "gold": "false"]
    )

    private func content(_ html: String, subject: String = "Hi {{first_name}}", text: String? = nil) -> Delivery.Content {
        Delivery.Content(subject: subject, sender: .init(address: "s@example.com"), htmlBody: html, textBody: text)
    }

    @Test("fields, attributes, sections, tags and built-ins; HTML escaped in HTML only")
    func fields() throws {
        let c = content(
            "<p>{{first_name}} {{attributes.city}}{{#attributes.vip}} VIP{{/attributes.vip}}{{#attributes.gold}} GOLD{{/attributes.gold}}"
                + "{{^attributes.gold}} no-gold{{/attributes.gold}}{{#attributes.none}}X{{/attributes.none}} {{#tags}}[{{.}}]{{/tags}} {{view_id}}</p>",
            text: "{{first_name}} {{unsubscribe_url}}"
        )
        let m = try renderer.compile(c, options: RenderingOptions(trackingBaseURL: "https://t.example.com", trackingEnabled: false))
            .render(profile, identity: identity)
        #expect(m.subject == "Hi Ann & <Bo>")
        #expect(m.html == "<p>Ann &amp; &lt;Bo&gt; Lund VIP no-gold [a][b] d1.7</p>")
        #expect(m.text == "Ann & <Bo> https://t.example.com/u/d1.7.u")
    }

    @Test("http(s) links become click URLs by template index; other links stay; pixel before </body>")
    func links() throws {
        let html = """
            <html><body><a href="https://a.example.com/x?y=1">a</a><A HREF = 'http://b.example.com'>b</A>
            <a href="mailto:x@example.com">m</a><a href="{{unsubscribe_url}}">u</a>{{#attributes.vip}}<a href="https://c.example.com/{{attributes.city}}">c</a>{{/attributes.vip}}</BODY></html>
            """
        let compiled = try renderer.compile(content(html), options: options)
        #expect(compiled.trackedLinks == ["https://a.example.com/x?y=1", "http://b.example.com", "https://c.example.com/{{attributes.city}}"])
        let m = try compiled.render(profile, identity: identity)
        #expect(m.html.contains(#"href="https://t.example.com/c/d1.7.c0""#))
        #expect(m.html.contains(#"HREF = 'https://t.example.com/c/d1.7.c1'"#))
        #expect(m.html.contains(#"href="https://t.example.com/c/d1.7.c2""#))
        #expect(m.html.contains(#"href="mailto:x@example.com""#))
        #expect(m.html.contains(#"href="https://t.example.com/u/d1.7.u""#))
        #expect(m.html.contains(#"<img src="https://t.example.com/o/d1.7.o" width="1" height="1" alt="" style="display:none"></BODY>"#))
        #expect(!m.html.contains("a.example.com"))
        // Tracking off: links untouched, no pixel.
        let off = try renderer.compile(content(html), options: RenderingOptions(trackingBaseURL: "https://t.example.com", trackingEnabled: false))
            .render(profile, identity: identity)
        #expect(off.html.contains("https://a.example.com/x?y=1") && !off.html.contains("/o/"))
        // The analysis agrees on the indices.
        let analysis = try renderer.analyze(html, part: .html, trackLinks: true)
        #expect(analysis.links.map(\.trackingIndex) == [0, 1, nil, nil, 2])
        #expect(analysis.links[1].line == 1 && analysis.links[2].line == 2)
    }

    @Test("rendering again gives identical bytes (send time = preparation time)")
    func deterministic() throws {
        let c = content("<a href=\"https://a.example.com\">{{first_name}}</a>{{#tags}}{{.}}{{/tags}}", text: "{{attributes.city}}")
        let first = try renderer.compile(c, options: options).render(profile, identity: identity)
        let again = try renderer.compile(c, options: options).render(profile, identity: identity)
        #expect(first == again)
        let other = try renderer.compile(c, options: options).render(profile, identity: MessageIdentity(trackingID: "d1.8"))
        #expect(other != first)
    }

    @Test("a line break in the personalized subject fails that message")
    func subjectInjection() throws {
        var p = profile
        p.firstName = "Eve\r\nBcc: x@example.com"
        let compiled = try renderer.compile(content("<p>x</p>"), options: options)
        #expect(throws: PersonalizationError.self) { try compiled.render(p, identity: identity) }
    }

    @Test("syntax errors carry the part, line and column", arguments: [
        ("<p>\n{{#a}}x{{/b}}</p>", TemplatePart.html, 2),
        ("{{first_name", .html, 1),
        ("<p>{{> header}}</p>", .html, 1),
    ])
    func syntaxErrors(template: String, part: TemplatePart, line: Int) {
        #expect(throws: TemplateSyntaxError.self) { try renderer.compile(content(template), options: options) }
        do {
            _ = try renderer.analyze(template, part: part, trackLinks: true)
            Issue.record("expected a syntax error")
        } catch {
            #expect(error.part == part)
            #expect(error.line == line)
        }
    }

    @Test("field references and which ones are known")
    func fieldsKnown() throws {
        let analysis = try renderer.analyze(
            "{{first_name}} {{frist_name}} {{attributes.city}} {{#attributes}}{{anything}}{{/attributes}} {{{unsubscribe_url}}} {{country}} {{first_name.x}}",
            part: .html, trackLinks: true
        )
        let unknown = analysis.fields.filter { !PersonalizationFields.isKnown($0) }.map(\.name)
        #expect(unknown == ["frist_name", "country", "first_name.x"])
        #expect(analysis.fields[1].column == 16)
    }
}
