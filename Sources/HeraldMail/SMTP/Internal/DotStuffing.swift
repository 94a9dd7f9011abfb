internal import NIOCore

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The SMTP `DATA` payload (RFC 5321 §4.5.2): a `.` doubled at the start of every line,
/// a final CRLF added when missing, and the `.` CRLF terminator.
enum DotStuffing {
    static func payload(_ data: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: data.count + data.count / 64 + 8)
        data.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return }
            var chunkStart = 0
            var from = 0
            // Only the dots are looked at (memchr): a dot at the start of a line is doubled.
            while from < bytes.count, let found = memchr(base + from, Int32(UInt8(ascii: ".")), bytes.count - from) {
                let i = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if i == 0 || bytes[i - 1] == 10 {
                    buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[chunkStart..<i])))
                    buffer.writeInteger(UInt8(ascii: "."))
                    chunkStart = i
                }
                from = i + 1
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
