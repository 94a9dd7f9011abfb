/// Scratch memory for one encode or decode: the C structs, strings and arrays handed to
/// protobuf-c. Bump allocation from a stack buffer first, then from heap chunks; all of
/// it is released at once when the arena ends, so small messages cost no malloc at all.
///
/// Memory from the arena is uninitialized and lives until the end of the
/// `_withProtoArena` body that created it.
package struct _ProtoArena: ~Copyable {
    private var cursor: UnsafeMutableRawPointer
    private var end: UnsafeMutableRawPointer
    private var chunks: [UnsafeMutableRawPointer] = []
    private var nextChunkSize = 4096

    fileprivate init(buffer: UnsafeMutableRawBufferPointer) {
        cursor = buffer.baseAddress!
        end = buffer.baseAddress! + buffer.count
    }

    deinit {
        for chunk in chunks {
            chunk.deallocate()
        }
    }

    /// `byteCount` bytes aligned to `alignment` (a power of two, at most 16).
    package mutating func allocateRaw(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        let start = cursor.alignedUp(toMultipleOf: alignment)
        if byteCount <= end - start {
            cursor = start + byteCount
            return start
        }
        return allocateSlow(byteCount: byteCount, alignment: alignment)
    }

    private mutating func allocateSlow(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        if byteCount > nextChunkSize / 4 {
            // Large: a chunk of its own, the current chunk stays in use.
            let chunk = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 16)
            chunks.append(chunk)
            return chunk
        }
        let size = nextChunkSize
        nextChunkSize = min(nextChunkSize * 2, 1 << 20)
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        chunks.append(chunk)
        cursor = chunk
        end = chunk + size
        return allocateRaw(byteCount: byteCount, alignment: alignment)
    }

    /// Room for `count` values of `T`, bound to `T`, uninitialized.
    package mutating func allocate<T>(_ type: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
        allocateRaw(byteCount: MemoryLayout<T>.stride * count, alignment: MemoryLayout<T>.alignment)
            .bindMemory(to: T.self, capacity: count)
    }

    /// For protobuf-c's allocator callback: malloc-like alignment.
    package mutating func allocateForC(byteCount: Int) -> UnsafeMutableRawPointer {
        allocateRaw(byteCount: byteCount, alignment: 16)
    }

    /// `string` as a NUL-terminated UTF-8 C string. protobuf-c measures strings with
    /// strlen(), so the encoding stops at the first NUL if `string` contains one.
    package mutating func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        let count = string.utf8.count
        let pointer = allocate(CChar.self, count: count + 1)
        let copied: Void? = string.utf8.withContiguousStorageIfAvailable { source in
            if let base = source.baseAddress {
                UnsafeMutableRawPointer(pointer).copyMemory(from: base, byteCount: count)
            }
        }
        if copied == nil {
            var i = 0
            for byte in string.utf8 {
                pointer[i] = CChar(bitPattern: byte)
                i += 1
            }
        }
        pointer[count] = 0
        return pointer
    }

    /// A copy of `elements`; never NULL, even when empty.
    package mutating func copy<T: BitwiseCopyable>(_ elements: [T]) -> UnsafeMutablePointer<T> {
        let pointer = allocate(T.self, count: elements.count)
        elements.withUnsafeBufferPointer { source in
            if let base = source.baseAddress {
                UnsafeMutableRawPointer(pointer).copyMemory(from: base, byteCount: MemoryLayout<T>.stride * source.count)
            }
        }
        return pointer
    }
}

/// Runs `body` with a fresh arena whose first 1 KiB is on the stack.
package func _withProtoArena<Result, Failure: Error>(
    _ body: (inout _ProtoArena) throws(Failure) -> Result
) throws(Failure) -> Result {
    try withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 16) { buffer throws(Failure) in
        var arena = _ProtoArena(buffer: buffer)
        return try body(&arena)
    }
}
