internal import CGRPC

/// Conversions between Swift bytes and `grpc_byte_buffer`.
enum ByteBuffer {
    /// A new byte buffer holding a copy of `bytes`; the caller destroys it with
    /// `grpc_byte_buffer_destroy` once the batch that sent it has completed.
    static func make(_ bytes: [UInt8]) -> UnsafeMutablePointer<grpc_byte_buffer> {
        let buffer = bytes.withUnsafeBufferPointer { buffer in
            CGRPC_byte_buffer_create(buffer.baseAddress, buffer.count)
        }
        guard let buffer else { fatalError("grpc_raw_byte_buffer_create failed") }
        return buffer
    }

    /// The bytes of a received buffer; `nil` when it cannot be read. Does not
    /// destroy the buffer.
    static func read(_ buffer: UnsafeMutablePointer<grpc_byte_buffer>) -> [UInt8]? {
        let length = grpc_byte_buffer_length(buffer)
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: length) { storage, initialized in
            let copied = CGRPC_byte_buffer_copy_out(buffer, storage.baseAddress, length)
            if copied < 0 || copied > length {  // SIZE_MAX reads as -1
                failed = true
                initialized = 0
            } else {
                initialized = copied
            }
        }
        return failed ? nil : bytes
    }
}

extension grpc_slice {
    /// A Swift string from the slice's bytes (UTF-8, invalid sequences repaired).
    var string: String {
        withUnsafePointer(to: self) { pointer in
            let length = CGRPC_slice_length(pointer)
            guard length > 0, let start = CGRPC_slice_start(pointer) else { return "" }
            return String(decoding: UnsafeBufferPointer(start: start, count: length), as: UTF8.self)
        }
    }

    /// The slice's bytes.
    var bytes: [UInt8] {
        withUnsafePointer(to: self) { pointer in
            let length = CGRPC_slice_length(pointer)
            guard length > 0, let start = CGRPC_slice_start(pointer) else { return [] }
            return Array(UnsafeBufferPointer(start: start, count: length))
        }
    }

    /// A new slice with a copy of a string's UTF-8 bytes; unref it when done.
    static func copying(_ string: String) -> grpc_slice {
        var string = string
        return string.withUTF8 { utf8 in
            grpc_slice_from_copied_buffer(UnsafeRawPointer(utf8.baseAddress)?.assumingMemoryBound(to: CChar.self), utf8.count)
        }
    }

    /// A new slice with a copy of bytes; unref it when done.
    static func copying(_ bytes: [UInt8]) -> grpc_slice {
        bytes.withUnsafeBufferPointer { buffer in
            grpc_slice_from_copied_buffer(UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self), buffer.count)
        }
    }
}
