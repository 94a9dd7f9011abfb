import Foundation
import Synchronization

/// A process `herald demo` started (posix_spawn), and the one owner of its pid: it is
/// reaped here (waitpid) and signalled only by that pid.
final class ChildProcess: Sendable {
    /// The child's process id.
    let pid: pid_t
    /// The wait status once the child has been reaped.
    private let reaped = Mutex<Int32?>(nil)

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts `executable` with `arguments` in `directory`, in a process group of its own,
    /// its standard output and error appended to `logPath`, standard input from /dev/null.
    static func spawn(_ executable: String, _ arguments: [String], directory: String, logPath: String) throws(Failure) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO)
        // posix_spawn has no portable "change directory" action: a shell changes it and
        // execs the program, which keeps the shell's pid.
        let shellArguments = ["/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", directory, executable] + arguments
        let argv: [UnsafeMutablePointer<CChar>?] = shellArguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // A process group of its own: Ctrl-C on the terminal reaches herald only, which
        // then stops the child in order (SIGTERM, grace, SIGKILL).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        // Default SIGINT/SIGTERM actions and no blocked signal in the child, whatever this
        // process ignores or blocks (ignored signals would survive the exec).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw Failure.other("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return ChildProcess(pid: pid)
    }

    /// The wait status when the child has exited (reaping it), nil while it runs.
    func exitStatus() -> Int32? {
        reaped.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid || (result == -1 && errno == ECHILD) {
                status = raw
            }
            return status
        }
    }

    /// Whether the child is still running.
    var isRunning: Bool { exitStatus() == nil }

    /// A readable account of how the child ended ("exit 0", "signal 9").
    func describeExit() -> String {
        guard let status = exitStatus() else { return "running" }
        let signal = status & 0x7F
        return signal == 0 ? "exit \((status >> 8) & 0xFF)" : "signal \(signal)"
    }

    /// SIGTERM, then waits up to `grace`; SIGKILL when it is still running then. Returns
    /// true when it ended within the grace period. Blocking: for a signal handler's queue
    /// or a thread of its own, never for the cooperative pool (use ``stop(grace:)``).
    @discardableResult
    func stopBlocking(grace: Duration) -> Bool {
        guard isRunning else { return true }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline {
            usleep(20_000)
        }
        guard isRunning else { return true }
        kill(pid, SIGKILL)
        while isRunning {
            usleep(10_000)
        }
        return false
    }

    /// SIGTERM, then waits up to `grace`; SIGKILL when it is still running then. Returns
    /// true when it ended within the grace period.
    @discardableResult
    func stop(grace: Duration) async -> Bool {
        guard isRunning else { return true }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard isRunning else { return true }
        kill(pid, SIGKILL)
        while isRunning {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}
