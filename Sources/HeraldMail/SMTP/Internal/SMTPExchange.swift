/// The requests one ``SMTPSession`` submit writes in one event-loop task: each request's
/// result (its replies, or why it failed) is put in its place, and the caller waiting
/// for them is resumed (or its completion called) once, when the last one is in. No promise per request.
///
/// `@unchecked Sendable`: created, completed and read only on the channel's event loop
/// (the session's submit closure and ``SMTPClientHandler`` run there); it crosses no
/// other thread before the caller is resumed with the results.
final class SMTPExchange: @unchecked Sendable {
    typealias Results = [Result<[SMTPReply], SMTPError>]

    private var results: [Result<[SMTPReply], SMTPError>?]
    private var remaining: Int
    private let completion: (Results) -> Void

    /// `count` requests; `continuation` is resumed exactly once, after the last result.
    convenience init(count: Int, continuation: UnsafeContinuation<Results, Never>) {
        self.init(count: count) { continuation.resume(returning: $0) }
    }

    /// `count` requests; `completion` is called exactly once on the event loop, after the
    /// last result (a chain of exchanges driven from the loop).
    init(count: Int, completion: @escaping (Results) -> Void) {
        self.results = Array(repeating: nil, count: count)
        self.remaining = count
        self.completion = completion
    }

    /// Request `index`'s result; the first result of a request is kept.
    func complete(_ index: Int, _ result: Result<[SMTPReply], SMTPError>) {
        guard results[index] == nil else { return }
        results[index] = result
        remaining -= 1
        if remaining == 0 {
            completion(results.compactMap { $0 })
        }
    }
}
