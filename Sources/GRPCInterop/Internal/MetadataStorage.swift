internal import CGRPC

/// Outgoing metadata as a C array of `grpc_metadata` with slices this object owns.
/// It must outlive the batch that sends it; `deinit` releases the slices.
final class OutgoingMetadata {
    let pointer: UnsafeMutablePointer<grpc_metadata>?
    let count: Int

    init(_ metadata: Metadata) {
        count = metadata.count
        guard count > 0 else {
            pointer = nil
            return
        }
        let pointer = UnsafeMutablePointer<grpc_metadata>.allocate(capacity: count)
        for (index, element) in metadata.elements.enumerated() {
            var entry = grpc_metadata()
            entry.key = .copying(element.key)
            switch element.value {
            case .string(let s): entry.value = .copying(s)
            case .binary(let b): entry.value = .copying(b)
            }
            (pointer + index).initialize(to: entry)
        }
        self.pointer = pointer
    }

    deinit {
        guard let pointer else { return }
        for index in 0..<count {
            grpc_slice_unref(pointer[index].key)
            grpc_slice_unref(pointer[index].value)
        }
        pointer.deinitialize(count: count)
        pointer.deallocate()
    }
}

extension Metadata {
    /// Copies the entries of a received `grpc_metadata_array`.
    init(_ array: UnsafePointer<grpc_metadata_array>) {
        self.init()
        let count = array.pointee.count
        guard count > 0, let entries = array.pointee.metadata else { return }
        for index in 0..<count {
            let key = entries[index].key.string
            if key.hasSuffix("-bin") {
                add(key, binary: entries[index].value.bytes)
            } else {
                add(key, entries[index].value.string)
            }
        }
    }
}

/// A `grpc_metadata_array` at a stable address, for ops that receive metadata.
final class IncomingMetadataArray {
    let pointer: UnsafeMutablePointer<grpc_metadata_array>

    init() {
        pointer = .allocate(capacity: 1)
        grpc_metadata_array_init(pointer)
    }

    var metadata: Metadata { Metadata(UnsafePointer(pointer)) }

    deinit {
        grpc_metadata_array_destroy(pointer)
        pointer.deallocate()
    }
}
