import Dispatch
import HeraldCore
import Synchronization

/// A ``SessionMailTransport`` whose sessions chain (``ChainingMailSession``) over a
/// ``FakeTransport``, with a serial queue as their "event loop": `advance` and the
/// scheduled group commits run there. A begun message waits on its session; finishing it
/// hands it to the fake. Counts the chains and how they ended.
final class ChainingTransportFake: SessionMailTransport, Sendable {
    struct Counts: Sendable {
        var begun = 0
        var abandoned = 0
        /// Messages accepted inside a chain (`advance` called).
        var advanced = 0
        /// `advance` calls made off the queue (must never happen).
        var advancedOffQueue = 0
        var chains = 0
        var handedBack = 0
        var finishedByReply = 0
    }

    let base: FakeTransport
    let counts = Mutex(Counts())
    let queue = DispatchQueue(label: "chaining-transport-fake")
    private let key = DispatchSpecificKey<Bool>()

    init(base: FakeTransport) {
        self.base = base
        queue.setSpecific(key: key, value: true)
    }

    func send(_ message: OutgoingMail) async -> SendOutcome {
        await base.send(message)
    }

    func makeSession() -> any MailSession {
        Session(transport: self)
    }

    var onQueue: Bool { DispatchQueue.getSpecific(key: key) == true }

    struct Session: ChainingMailSession {
        let transport: ChainingTransportFake
        var begun: OutgoingMail?

        mutating func begin(_ mail: OutgoingMail) async -> MailBeginning {
            transport.counts.withLock { $0.begun += 1 }
            begun = mail
            return .begun
        }

        mutating func finish(thenBegin next: OutgoingMail?) async -> (outcome: SendOutcome, next: MailBeginning?) {
            guard let current = begun else { return (.transient(.other, reply: "nothing begun"), nil) }
            begun = next
            if next != nil { transport.counts.withLock { $0.begun += 1 } }
            return (await transport.base.send(current), next.map { _ in .begun })
        }

        mutating func chain(
            thenBegin next: OutgoingMail,
            advance: @escaping @Sendable (_ acceptedReply: String, _ then: @escaping @Sendable (OutgoingMail?) -> Void) -> Void
        ) async -> MailChainEnd {
            guard var current = begun else { return .finished(outcome: .transient(.other, reply: "nothing begun"), next: nil) }
            let transport = self.transport
            transport.counts.withLock { $0.chains += 1 }
            var following = next
            while true {
                transport.counts.withLock { $0.begun += 1 }
                let outcome = await transport.base.send(current)
                guard case .sent(let reply) = outcome else {
                    begun = following
                    transport.counts.withLock { $0.finishedByReply += 1 }
                    return .finished(outcome: outcome, next: .begun)
                }
                let after = await withCheckedContinuation { (continuation: CheckedContinuation<OutgoingMail?, Never>) in
                    transport.queue.async {
                        transport.counts.withLock {
                            $0.advanced += 1
                            if !transport.onQueue { $0.advancedOffQueue += 1 }
                        }
                        advance(reply) { continuation.resume(returning: $0) }
                    }
                }
                current = following
                guard let after else {
                    begun = current
                    transport.counts.withLock { $0.handedBack += 1 }
                    return .handedBack(declined: false)
                }
                following = after
            }
        }

        func schedule(_ body: @escaping @Sendable () -> Void) {
            transport.queue.async(execute: body)
        }

        mutating func abandon() async {
            guard begun != nil else { return }
            begun = nil
            transport.counts.withLock { $0.abandoned += 1 }
        }

        mutating func end() async {
            if begun != nil { await abandon() }
        }
    }
}
