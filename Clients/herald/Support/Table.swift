/// Aligned text output: tables with a header row, and key-value blocks.
struct Table {
    /// Column titles.
    var columns: [String]
    /// Rows of cells, one per column.
    var rows: [[String]] = []
    /// Per column: the style of its cells, computed from the cell's text.
    var style: [Int: (String) -> Terminal.Style?] = [:]

    init(_ columns: [String]) {
        self.columns = columns
    }

    /// The table as lines: columns padded to their widest cell, two spaces apart.
    func render() -> String {
        var widths = columns.map(Terminal.width)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], Terminal.width(cell))
            }
        }
        var lines: [String] = []
        lines.append(line(columns, widths) { _, text in Terminal.styled(text, .bold) })
        for row in rows {
            lines.append(line(row, widths) { index, text in
                style[index].flatMap { $0(text) }.map { Terminal.styled(text, $0) } ?? text
            })
        }
        return lines.joined(separator: "\n")
    }

    private func line(_ cells: [String], _ widths: [Int], _ decorate: (Int, String) -> String) -> String {
        var output = ""
        for (index, cell) in cells.enumerated() {
            let last = index == cells.count - 1
            let padding = last ? "" : String(repeating: " ", count: widths[index] - Terminal.width(cell) + 2)
            output += decorate(index, cell) + padding
        }
        return output
    }

    /// A key-value block: keys padded to the widest, dimmed on a terminal.
    static func keyValues(_ pairs: [(String, String)]) -> String {
        let width = pairs.map { Terminal.width($0.0) }.max() ?? 0
        return pairs.map { key, value in
            Terminal.styled(key, .dim) + String(repeating: " ", count: width - Terminal.width(key) + 2) + value
        }.joined(separator: "\n")
    }
}
