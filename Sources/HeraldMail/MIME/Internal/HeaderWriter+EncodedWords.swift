extension HeaderWriter {
    /// ``encodedWords(_:firstCapacity:phrase:)``'s words, without an array per character
    /// or a re-count of the word at every character: a word's encoded size grows by each
    /// character's (Q) or follows from its byte count (B), so it is kept as it goes.
    static func encodedWordsQuickly(_ text: String, firstCapacity: Int, phrase: Bool) -> [String] {
        let utf8 = Array(text.utf8)
        var qLength = 0
        for b in utf8 { qLength += qSafe(b, phrase: phrase) ? 1 : 3 }
        let useQ = qLength < Base64.encodedLength(utf8.count)
        let overhead = 12  // "=?UTF-8?X?" + "?="
        var words: [String] = []
        var capacity = firstCapacity - overhead
        var wordStart = 0
        var wordCount = 0
        var wordSize = 0
        var offset = 0
        func flush() {
            guard wordCount > 0 else { return }
            var word: [UInt8] = []
            word.reserveCapacity(overhead + (useQ ? wordSize : Base64.encodedLength(wordCount)))
            word.append(contentsOf: useQ ? "=?UTF-8?Q?".utf8 : "=?UTF-8?B?".utf8)
            let bytes = utf8[wordStart..<(wordStart + wordCount)]
            if useQ {
                for b in bytes {
                    if b == 32 {
                        word.append(UInt8(ascii: "_"))
                    } else if qSafe(b, phrase: phrase) {
                        word.append(b)
                    } else {
                        word.append(UInt8(ascii: "="))
                        word.append(hexDigit(b >> 4))
                        word.append(hexDigit(b & 0x0F))
                    }
                }
            } else {
                Base64.encode(bytes, into: &word)
            }
            word.append(UInt8(ascii: "?"))
            word.append(UInt8(ascii: "="))
            words.append(String(decoding: word, as: UTF8.self))
            wordStart += wordCount
            wordCount = 0
            wordSize = 0
            capacity = maxEncodedWord - overhead
        }
        /// A unit (a character, or a scalar of a character too long for a word) of `length` bytes.
        func unit(_ length: Int) {
            var size = 0
            if useQ {
                for k in offset..<(offset + length) { size += qSafe(utf8[k], phrase: phrase) ? 1 : 3 }
            }
            if wordCount > 0 && (useQ ? wordSize + size : Base64.encodedLength(wordCount + length)) > capacity { flush() }
            wordCount += length
            wordSize += size
            offset += length
        }
        for character in text {
            let length = character.utf8.count
            if length <= 15 {
                unit(length)
            } else {
                for scalar in character.unicodeScalars { unit(UTF8.width(scalar)) }
            }
        }
        flush()
        return words
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 55 + v }
}
