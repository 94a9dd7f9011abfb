/// Derives a plain-text body from HTML: tags stripped, the contents of `script`, `style`
/// and `head` dropped, entities decoded, link targets kept as `text [url]`, block
/// elements as line breaks, whitespace collapsed.
enum HTMLText {
    private static let blockTags: Set<String> = [
        "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "hr", "section", "article", "header", "footer", "center", "dd", "dt", "dl",
    ]
    private static let skippedTags: Set<String> = ["script", "style", "head", "title"]

    static func text(fromHTML html: String) -> String {
        var output = TextCollector()
        var skipping: String?
        var linkStack: [String?] = []
        let scalars = Array(html.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "<" {
                // Comments, doctype and CDATA are dropped.
                if matches(scalars, at: i, "<!--") {
                    i = find(scalars, "-->", from: i + 4).map { $0 + 3 } ?? scalars.count
                    continue
                }
                guard let end = tagEnd(scalars, from: i + 1) else {
                    if skipping == nil { output.append(text: "<") }
                    i += 1
                    continue
                }
                let tag = Tag(String(String.UnicodeScalarView(scalars[(i + 1)..<end])))
                i = end + 1
                if let skipped = skipping {
                    if tag.closing && tag.name == skipped { skipping = nil }
                    continue
                }
                if skippedTags.contains(tag.name) && !tag.closing && !tag.selfClosing {
                    skipping = tag.name
                    continue
                }
                if tag.name == "a" {
                    if tag.closing {
                        if let href = linkStack.popLast() ?? nil { output.closeLink(href: href) }
                    } else {
                        let href = tag.attribute("href").map(decodeEntities)
                        let usable = href.flatMap { $0.isEmpty || $0.hasPrefix("#") || $0.lowercased().hasPrefix("javascript:") ? nil : $0 }
                        linkStack.append(usable)
                        output.openLink()
                    }
                } else if tag.name == "img", !tag.closing, let alt = tag.attribute("alt"), !alt.isEmpty {
                    output.append(text: decodeEntities(alt))
                } else if blockTags.contains(tag.name) {
                    output.lineBreak(paragraph: tag.name != "br" && tag.name != "li" && tag.name != "tr" && tag.name != "div")
                    if tag.name == "li" && !tag.closing { output.append(text: "- ") }
                } else if tag.name == "td" || tag.name == "th" {
                    output.space()
                }
                continue
            }
            var j = i
            while j < scalars.count && scalars[j] != "<" { j += 1 }
            if skipping == nil {
                output.append(text: decodeEntities(String(String.UnicodeScalarView(scalars[i..<j]))))
            }
            i = j
        }
        return output.result()
    }

    // MARK: - Tags

    private struct Tag {
        var name: String
        var closing: Bool
        var selfClosing: Bool
        var body: String

        init(_ raw: String) {
            var s = Substring(raw)
            closing = s.first == "/"
            if closing { s = s.dropFirst() }
            selfClosing = s.last == "/"
            let nameEnd = s.firstIndex { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "/" } ?? s.endIndex
            name = s[..<nameEnd].lowercased()
            body = String(s[nameEnd...])
        }

        /// The value of an attribute (quoted or not), or `nil`.
        func attribute(_ wanted: String) -> String? {
            let chars = Array(body.unicodeScalars)
            var i = 0
            while i < chars.count {
                while i < chars.count && (chars[i] == " " || chars[i] == "\t" || chars[i] == "\n" || chars[i] == "\r" || chars[i] == "/") { i += 1 }
                let nameStart = i
                while i < chars.count && chars[i] != "=" && chars[i] != " " && chars[i] != "\t" && chars[i] != "\n" && chars[i] != "\r" && chars[i] != "/" { i += 1 }
                let name = String(String.UnicodeScalarView(chars[nameStart..<i])).lowercased()
                while i < chars.count && (chars[i] == " " || chars[i] == "\t" || chars[i] == "\n" || chars[i] == "\r") { i += 1 }
                var value = ""
                if i < chars.count && chars[i] == "=" {
                    i += 1
                    while i < chars.count && (chars[i] == " " || chars[i] == "\t" || chars[i] == "\n" || chars[i] == "\r") { i += 1 }
                    if i < chars.count && (chars[i] == "\"" || chars[i] == "'") {
                        let quote = chars[i]
                        let start = i + 1
                        i = start
                        while i < chars.count && chars[i] != quote { i += 1 }
                        value = String(String.UnicodeScalarView(chars[start..<min(i, chars.count)]))
                        i += 1
                    } else {
                        let start = i
                        while i < chars.count && chars[i] != " " && chars[i] != "\t" && chars[i] != "\n" && chars[i] != "\r" { i += 1 }
                        value = String(String.UnicodeScalarView(chars[start..<i]))
                    }
                }
                if name == wanted { return value.trimmingSpaces() }
                if i == nameStart { i += 1 }
            }
            return nil
        }
    }

    /// The index of the `>` that ends a tag opened before `from`, honouring quotes; `nil`
    /// when the `<` does not start a tag (`a < b`).
    private static func tagEnd(_ s: [Unicode.Scalar], from: Int) -> Int? {
        guard from < s.count else { return nil }
        let first = s[from]
        guard first == "/" || first == "!" || first == "?" || first.properties.isAlphabetic else { return nil }
        var quote: Unicode.Scalar?
        var i = from
        while i < s.count {
            let c = s[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == ">" {
                return i
            }
            i += 1
        }
        return nil
    }

    private static func matches(_ s: [Unicode.Scalar], at i: Int, _ pattern: String) -> Bool {
        let p = Array(pattern.unicodeScalars)
        guard i + p.count <= s.count else { return false }
        for k in 0..<p.count where s[i + k] != p[k] { return false }
        return true
    }

    private static func find(_ s: [Unicode.Scalar], _ pattern: String, from: Int) -> Int? {
        var i = from
        while i < s.count {
            if matches(s, at: i, pattern) { return i }
            i += 1
        }
        return nil
    }

    // MARK: - Entities

    static func decodeEntities(_ s: String) -> String {
        guard s.contains("&") else { return s }
        var out = String.UnicodeScalarView()
        let scalars = Array(s.unicodeScalars)
        var i = 0
        while i < scalars.count {
            if scalars[i] == "&", let semicolon = scalars[(i + 1)..<min(scalars.count, i + 34)].firstIndex(of: ";") {
                let name = String(String.UnicodeScalarView(scalars[(i + 1)..<semicolon]))
                if let decoded = entity(name) {
                    out.append(contentsOf: decoded.unicodeScalars)
                    i = semicolon + 1
                    continue
                }
            }
            out.append(scalars[i])
            i += 1
        }
        return String(out)
    }

    private static func entity(_ name: String) -> String? {
        if name.hasPrefix("#") {
            let digits = name.dropFirst()
            let value: UInt32? =
                digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            guard let value, let scalar = Unicode.Scalar(value), value != 0 else { return nil }
            return String(scalar)
        }
        return namedEntities[name]
    }

    private static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}",
        "copy": "©", "reg": "®", "trade": "™", "hellip": "…", "mdash": "—", "ndash": "–",
        "lsquo": "‘", "rsquo": "’", "sbquo": "‚", "ldquo": "“", "rdquo": "”", "bdquo": "„",
        "laquo": "«", "raquo": "»", "bull": "•", "middot": "·", "euro": "€", "pound": "£",
        "yen": "¥", "cent": "¢", "sect": "§", "deg": "°", "plusmn": "±", "times": "×",
        "divide": "÷", "para": "¶", "shy": "\u{AD}", "zwnj": "\u{200C}", "zwj": "\u{200D}",
        "eacute": "é", "egrave": "è", "ecirc": "ê", "euml": "ë", "aacute": "á", "agrave": "à",
        "acirc": "â", "auml": "ä", "aring": "å", "aelig": "æ", "ccedil": "ç", "iacute": "í",
        "igrave": "ì", "icirc": "î", "iuml": "ï", "ntilde": "ñ", "oacute": "ó", "ograve": "ò",
        "ocirc": "ô", "ouml": "ö", "oslash": "ø", "uacute": "ú", "ugrave": "ù", "ucirc": "û",
        "uuml": "ü", "szlig": "ß", "Eacute": "É", "Egrave": "È", "Aring": "Å", "Auml": "Ä",
        "Ouml": "Ö", "Uuml": "Ü", "Oslash": "Ø", "AElig": "Æ", "Ccedil": "Ç", "Ntilde": "Ñ",
    ]
}

/// Accumulates text with collapsed whitespace and at most one blank line in a row.
private struct TextCollector {
    private var out = ""
    private var pendingSpace = false
    private var pendingBreaks = 0
    private var linkTextStart: [Int] = []

    mutating func append(text: String) {
        for ch in text {
            if ch.isWhitespace && ch != "\u{A0}" {
                pendingSpace = true
                continue
            }
            if pendingBreaks > 0 {
                if !out.isEmpty { out += String(repeating: "\n", count: pendingBreaks) }
                pendingBreaks = 0
                pendingSpace = false
            } else if pendingSpace {
                if !out.isEmpty { out.append(" ") }
                pendingSpace = false
            }
            out.append(ch == "\u{A0}" ? " " : ch)
        }
    }

    mutating func space() { pendingSpace = true }

    mutating func lineBreak(paragraph: Bool) {
        pendingBreaks = max(pendingBreaks, paragraph ? 2 : 1)
    }

    mutating func openLink() {
        linkTextStart.append(out.utf8.count)
    }

    mutating func closeLink(href: String) {
        let offset = min(linkTextStart.popLast() ?? out.utf8.count, out.utf8.count)
        let start = out.utf8.index(out.utf8.startIndex, offsetBy: offset)
        let linkText = out[start...].trimmingCharacters()
        if linkText == href || "mailto:" + linkText == href { return }
        append(text: linkText.isEmpty ? href : " [\(href)]")
    }

    func result() -> String { out }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        var s = self
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
