/// The control checks of a delivery's content, before targeting (API.md, "Preparation").
struct ControlChecks {
    /// A finding: severity, code and message.
    typealias Finding = (severity: LogSeverity, code: String, message: String)

    /// The most findings of one kind logged one by one (links, fields).
    static let maxFindingsPerKind = 20

    var findings: [Finding] = []
    /// Whether every template parsed.
    var templatesParse = true
    /// The analyses of the templates that parsed.
    var analyses: [TemplateAnalysis] = []

    /// Checks subject, sender, templates (syntax, fields, links) and the unsubscribe link.
    static func run(_ delivery: Delivery, renderer: any MessageRenderer) -> ControlChecks {
        var checks = ControlChecks()
        let content = delivery.content
        if content.subject.allSatisfy(\.isWhitespace) {
            checks.add(.error, PreparationLogCode.emptySubject, "The subject is empty.")
        }
        if content.sender.address.isEmpty {
            checks.add(.error, PreparationLogCode.missingSender, "The sender address (content.from.address) is missing.")
        } else if !EmailAddress.isValid(content.sender.address) {
            checks.add(
                .error, PreparationLogCode.invalidSender,
                "The sender address '\(content.sender.address)' is not a valid email address."
            )
        }
        var parts: [(TemplatePart, String)] = [(.subject, content.subject), (.html, content.htmlBody)]
        if let text = content.textBody { parts.append((.text, text)) }
        var usesUnsubscribe = false
        var unknownFields = 0, badLinks = 0
        for (part, source) in parts {
            let analysis: TemplateAnalysis
            do {
                analysis = try renderer.analyze(source, part: part, trackLinks: delivery.trackingEnabled)
            } catch {
                checks.templatesParse = false
                checks.add(.error, PreparationLogCode.templateSyntaxError, "Template syntax error in \(error).")
                continue
            }
            checks.analyses.append(analysis)
            for field in analysis.fields {
                if field.name == "unsubscribe_url" { usesUnsubscribe = true }
                guard !PersonalizationFields.isKnown(field) else { continue }
                unknownFields += 1
                if unknownFields <= maxFindingsPerKind {
                    checks.add(
                        .error, PreparationLogCode.unknownField,
                        "\(part) \(field.line):\(field.column): the personalization field '\(field.name)' matches no profile field"
                            + (suggestion(for: field.name).map { "; did you mean \($0)?" } ?? ".")
                    )
                }
            }
            for link in analysis.links where !isAcceptable(link.url) {
                badLinks += 1
                if badLinks <= maxFindingsPerKind {
                    checks.add(
                        .error, PreparationLogCode.invalidLink,
                        "\(part) \(link.line):\(link.column): the link '\(link.url)' is not an absolute http(s) URL."
                    )
                }
            }
        }
        if unknownFields > maxFindingsPerKind {
            checks.add(.error, PreparationLogCode.unknownField, "\(unknownFields - maxFindingsPerKind) more unknown fields.")
        }
        if badLinks > maxFindingsPerKind {
            checks.add(.error, PreparationLogCode.invalidLink, "\(badLinks - maxFindingsPerKind) more invalid links.")
        }
        if !usesUnsubscribe && checks.templatesParse {
            checks.add(
                .warning, PreparationLogCode.noUnsubscribeLink,
                "The content has no unsubscribe link ({{unsubscribe_url}})."
            )
        }
        return checks
    }

    private mutating func add(_ severity: LogSeverity, _ code: String, _ message: String) {
        findings.append((severity, code, message))
    }

    /// Whether an `href` value is acceptable: an absolute http(s) URL with a host, a
    /// value computed by a tag (`{{unsubscribe_url}}`), an in-page anchor (`#top`), or a
    /// `mailto:` or `tel:` link (not web links: never tracked).
    static func isAcceptable(_ url: String) -> Bool {
        let value = url.trimmingWhitespace()
        if value.hasPrefix("{{") || value.hasPrefix("#") { return true }
        let lower = AddressKey.normalized(value)
        if lower.hasPrefix("mailto:") || lower.hasPrefix("tel:") { return true }
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            let rest = value.utf8.dropFirst(scheme.utf8.count)
            guard let first = rest.first else { return false }
            return first != UInt8(ascii: "/") && first != UInt8(ascii: "?") && first != UInt8(ascii: "#")
                && !rest.contains(UInt8(ascii: " "))
        }
        return false
    }

    /// `attributes.<name>` for a bare unknown name.
    private static func suggestion(for name: String) -> String? {
        guard !name.contains("."), !name.isEmpty else { return nil }
        return "attributes.\(name)"
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[start...end])
    }
}
