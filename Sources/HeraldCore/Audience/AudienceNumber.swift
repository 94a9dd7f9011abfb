/// The one definition of "a string that is a number" in the audience language.
///
/// An attribute value is numeric when it matches
/// `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?` exactly (no spaces, no `+`, no leading or
/// trailing `.`, no `inf`/`nan`) and its value is finite as a `Double`. Stores keep
/// ``parse(_:)``'s result beside each attribute so that SQL and in-memory evaluation
/// compare the same numbers.
public enum AudienceNumber {
    /// The value of `text` if it is numeric by the rule above, else `nil`.
    public static func parse(_ text: String) -> Double? {
        var it = text.utf8.makeIterator()
        var state = 0  // 0 start, 1 sign, 2 int digits, 3 dot, 4 frac digits, 5 e, 6 e-sign, 7 exp digits
        var count = 0
        while let b = it.next() {
            count += 1
            let digit = b >= 48 && b <= 57
            switch state {
            case 0: if b == UInt8(ascii: "-") { state = 1 } else if digit { state = 2 } else { return nil }
            case 1: if digit { state = 2 } else { return nil }
            case 2:
                if digit { state = 2 } else if b == UInt8(ascii: ".") { state = 3 }
                else if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") { state = 5 } else { return nil }
            case 3: if digit { state = 4 } else { return nil }
            case 4:
                if digit { state = 4 } else if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") { state = 5 } else { return nil }
            case 5: if digit { state = 7 } else if b == UInt8(ascii: "+") || b == UInt8(ascii: "-") { state = 6 } else { return nil }
            case 6: if digit { state = 7 } else { return nil }
            default: if !digit { return nil }
            }
        }
        guard count > 0, count <= 400, state == 2 || state == 4 || state == 7, let value = Double(text), value.isFinite
        else { return nil }
        return value
    }
}
