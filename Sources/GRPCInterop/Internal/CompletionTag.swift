/// The object a completion-queue tag points to. A tag is
/// `Unmanaged.passRetained(tag).toOpaque()`; the poller takes the retained reference
/// back and calls ``complete(success:)`` once. Subclasses do only the small work of
/// resuming whoever waits: a poller thread never runs handler code.
class CompletionTag {
    /// Called once on a poller thread when the batch or request completes.
    func complete(success: Bool) {}

    /// The opaque, retained pointer to pass as a tag.
    final func retainedOpaque() -> UnsafeMutableRawPointer {
        Unmanaged.passRetained(self).toOpaque()
    }

    /// Balances ``retainedOpaque()`` when the batch could not be started.
    final func releaseUnstarted(_ tag: UnsafeMutableRawPointer) {
        Unmanaged<CompletionTag>.fromOpaque(tag).release()
    }
}

/// A tag that runs a closure. The closure runs on a poller thread: it must be short.
final class ClosureTag: CompletionTag {
    private let body: (Bool) -> Void

    init(_ body: @escaping (Bool) -> Void) {
        self.body = body
    }

    override func complete(success: Bool) {
        body(success)
    }
}
