internal import CGRPC
import Synchronization

/// Reference-counted `grpc_init` / `grpc_shutdown`: every server and client holds a
/// lease from creation to destruction, so the core stays initialised while used.
enum GRPCLibrary {
    private static let users = Mutex(0)

    static func acquire() {
        users.withLock { count in
            if count == 0 { grpc_init() }
            count += 1
        }
    }

    static func release() {
        users.withLock { count in
            precondition(count > 0, "GRPCLibrary released more often than acquired")
            count -= 1
            // grpc_shutdown is asynchronous in 1.51: it returns at once and the
            // core finishes its own threads in the background.
            if count == 0 { grpc_shutdown() }
        }
    }
}
