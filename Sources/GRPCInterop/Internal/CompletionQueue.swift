internal import CGRPC
import Foundation
import Synchronization

/// One `GRPC_CQ_NEXT` completion queue and the thread that polls it.
///
/// The poller blocks in `grpc_completion_queue_next` and, for each event, hands the
/// tag's ``CompletionTag`` its result. ``shutdown()`` shuts the queue down; the
/// poller drains it until `GRPC_QUEUE_SHUTDOWN`, destroys it and exits.
///
/// `@unchecked Sendable`: the raw queue pointer is immutable after `init`, and the
/// gRPC core allows every queue operation used here (`next` from the poller thread,
/// `shutdown` and batch posting from any thread) concurrently.
final class CompletionQueue: @unchecked Sendable {
    let queue: OpaquePointer
    private let name: String
    private let drainState = Mutex(DrainState.running([]))

    private enum DrainState {
        case running([CheckedContinuation<Void, Never>])
        case drained
    }

    init(name: String) {
        guard let queue = grpc_completion_queue_create_for_next(nil) else {
            fatalError("grpc_completion_queue_create_for_next failed")
        }
        self.queue = queue
        self.name = name
    }

    /// Starts the poller thread.
    func startPolling() {
        let thread = Thread { [self] in
            Self.poll(queue)
            grpc_completion_queue_destroy(queue)
            let waiters = drainState.withLock { state in
                defer { state = .drained }
                if case .running(let waiters) = state { return waiters }
                return []
            }
            for waiter in waiters { waiter.resume() }
        }
        // The thread is not stored: its closure holds this queue until the poller
        // exits, and nothing holds the thread after that (no cycle).
        thread.name = name
        thread.stackSize = 256 * 1024
        thread.start()
    }

    private static func poll(_ queue: OpaquePointer) {
        let forever = gpr_inf_future(GPR_CLOCK_MONOTONIC)
        while true {
            let event = grpc_completion_queue_next(queue, forever, nil)
            switch event.type {
            case GRPC_OP_COMPLETE:
                guard let tag = event.tag else { continue }
                let completion = Unmanaged<CompletionTag>.fromOpaque(tag).takeRetainedValue()
                completion.complete(success: event.success != 0)
            case GRPC_QUEUE_SHUTDOWN:
                return
            default:
                continue
            }
        }
    }

    /// Destroys a queue whose poller never started (nothing can be pending on it).
    func destroyUnpolled() {
        grpc_completion_queue_shutdown(queue)
        Self.poll(queue)
        grpc_completion_queue_destroy(queue)
    }

    /// Shuts the queue down. Pending events are still delivered; the poller then
    /// destroys the queue and exits.
    func shutdown() {
        grpc_completion_queue_shutdown(queue)
    }

    /// Returns once the poller has drained and destroyed the queue.
    func drained() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = drainState.withLock { state in
                switch state {
                case .drained:
                    return true
                case .running(var waiters):
                    waiters.append(continuation)
                    state = .running(waiters)
                    return false
                }
            }
            if resumeNow { continuation.resume() }
        }
    }
}
