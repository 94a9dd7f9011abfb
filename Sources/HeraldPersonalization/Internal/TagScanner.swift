import HeraldCore

/// Lists the tags of a Mustache template that already parsed (the parser reports the
/// syntax errors; this scanner only reads names and positions).
///
/// Partials (`{{>x}}`), set-delimiter tags (`{{=<% %>=}}`) and inheritance blocks
/// (`{{$x}}`, `{{<x}}`) are refused: templates are self-contained and use the default
/// delimiters, which link rewriting relies on.
struct TagScanner {
    let bytes: [UInt8]
    let part: TemplatePart

    init(_ source: String, part: TemplatePart) {
        bytes = Array(source.utf8)
        self.part = part
    }

    func fields() throws(TemplateSyntaxError) -> [TemplateAnalysis.Field] {
        var fields: [TemplateAnalysis.Field] = []
        var sections: [String] = []
        var position = SourcePosition(bytes)
        var i = 0
        while let start = find([0x7B, 0x7B], from: i) {
            let (line, column) = position.lineAndColumn(at: start)
            var contentStart = start + 2
            var closing: [UInt8] = [0x7D, 0x7D]
            if contentStart < bytes.count, bytes[contentStart] == 0x7B {
                contentStart += 1
                closing = [0x7D, 0x7D, 0x7D]
            }
            guard let end = find(closing, from: contentStart) else { break }
            let content = Self.trimmed(bytes[contentStart..<end])
            i = end + closing.count
            guard let sigil = content.first else { continue }
            func name(_ slice: ArraySlice<UInt8>) -> String { Self.innermostName(Self.trimmed(slice)) }
            switch sigil {
            case UInt8(ascii: "!"), UInt8(ascii: "%"):
                continue
            case UInt8(ascii: "#"), UInt8(ascii: "^"):
                let sectionName = name(content.dropFirst())
                fields.append(.init(name: sectionName, line: line, column: column, enclosingSections: sections))
                sections.append(sectionName)
            case UInt8(ascii: "/"):
                if !sections.isEmpty { sections.removeLast() }
            case UInt8(ascii: "&"):
                fields.append(.init(name: name(content.dropFirst()), line: line, column: column, enclosingSections: sections))
            case UInt8(ascii: ">"), UInt8(ascii: "="), UInt8(ascii: "$"), UInt8(ascii: "<"):
                let kind = sigil == UInt8(ascii: ">") ? "partials" : sigil == UInt8(ascii: "=") ? "set-delimiter tags" : "template inheritance"
                throw TemplateSyntaxError(part: part, line: line, column: column, reason: "\(kind) are not supported")
            default:
                fields.append(.init(name: name(content[...]), line: line, column: column, enclosingSections: sections))
            }
        }
        return fields
    }

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard needle.count <= bytes.count else { return nil }
        var i = start
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0] && bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    static func trimmed(_ slice: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = slice
        while let f = s.first, f == 0x20 || f == 0x09 || f == 0x0A || f == 0x0D { s.removeFirst() }
        while let l = s.last, l == 0x20 || l == 0x09 || l == 0x0A || l == 0x0D { s.removeLast() }
        return s
    }

    /// `name`, or the innermost argument of transforms such as `uppercased(name)`.
    static func innermostName(_ slice: ArraySlice<UInt8>) -> String {
        var s = slice
        while let open = s.firstIndex(of: UInt8(ascii: "(")), let close = s.lastIndex(of: UInt8(ascii: ")")), open < close {
            s = trimmed(s[(open + 1)..<close])
        }
        return String(decoding: s, as: UTF8.self)
    }
}

/// Turns byte offsets into 1-based lines and columns (columns count characters), for
/// offsets given in increasing order.
struct SourcePosition {
    private let bytes: [UInt8]
    private var offset = 0
    private var line = 1
    private var column = 1

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func lineAndColumn(at target: Int) -> (Int, Int) {
        if target < offset {
            offset = 0
            line = 1
            column = 1
        }
        while offset < target && offset < bytes.count {
            let b = bytes[offset]
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            offset += 1
        }
        return (line, column)
    }
}
