internal import NIOCore

/// The SMTP `DATA` payload (RFC 5321 §4.5.2): a `.` doubled at the start of every line,
/// a final CRLF added when missing, and the `.` CRLF terminator.
enum DotStuffing {
    static func payload(_ data: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: data.count + data.count / 64 + 8)
        data.withUnsafeBufferPointer { bytes in
            var chunkStart = 0
            var atLineStart = true
            for i in 0..<bytes.count {
                if atLineStart && bytes[i] == UInt8(ascii: ".") {
                    buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[chunkStart..<i])))
                    buffer.writeInteger(UInt8(ascii: "."))
                    chunkStart = i
                }
                atLineStart = bytes[i] == 10
            }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[chunkStart..<bytes.count])))
        }
        if !data.isEmpty && !(data.count >= 2 && data[data.count - 2] == 13 && data[data.count - 1] == 10) {
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString(".\r\n")
        return buffer
    }
}
