import HeraldCore
import Synchronization

/// A ``SessionMailTransport`` over a ``FakeTransport``: a begun message waits on its
/// session; finishing it hands it to the fake (which answers it and counts it as
/// accepted), and begins the next one. Counts what the engine did with its sessions.
final class SessionTransportFake: SessionMailTransport, Sendable {
    struct Counts: Sendable {
        var begun = 0
        var chained = 0
        var abandoned = 0
        var sessionsEnded = 0
        /// Begun messages whose session was asked to begin another (must never happen).
        var beganOverBegun = 0
        /// Finishes held (see ``holdChained``) right now.
        var held = 0
    }

    let base: FakeTransport
    let counts = Mutex(Counts())
    /// While `true`, a finish that begins a next message waits before returning (so that
    /// a test can ask for a pause while lanes hold begun messages).
    let holdChained = Mutex(false)

    init(base: FakeTransport) {
        self.base = base
    }

    func send(_ message: OutgoingMail) async -> SendOutcome {
        await base.send(message)
    }

    func makeSession() -> any MailSession {
        Session(transport: self)
    }

    struct Session: MailSession {
        let transport: SessionTransportFake
        var begun: OutgoingMail?

        mutating func begin(_ mail: OutgoingMail) async -> MailBeginning {
            transport.counts.withLock {
                $0.begun += 1
                if begun != nil { $0.beganOverBegun += 1 }
            }
            begun = mail
            return .begun
        }

        mutating func finish(thenBegin next: OutgoingMail?) async -> (outcome: SendOutcome, next: MailBeginning?) {
            guard let current = begun else { return (.transient(.other, reply: "nothing begun"), nil) }
            begun = next
            if next != nil { transport.counts.withLock { $0.begun += 1; $0.chained += 1 } }
            let outcome = await transport.base.send(current)
            if next != nil, transport.holdChained.withLock({ $0 }) {
                transport.counts.withLock { $0.held += 1 }
                for _ in 0..<10_000 where transport.holdChained.withLock({ $0 }) {
                    try? await Task.sleep(for: .milliseconds(1))
                }
                transport.counts.withLock { $0.held -= 1 }
            }
            return (outcome, next.map { _ in .begun })
        }

        mutating func abandon() async {
            guard begun != nil else { return }
            begun = nil
            transport.counts.withLock { $0.abandoned += 1 }
        }

        mutating func end() async {
            if begun != nil { await abandon() }
            transport.counts.withLock { $0.sessionsEnded += 1 }
        }
    }
}
