import GRPCInterop
import Synchronization
import Testing

@Suite("Server-stream backpressure")
struct BackpressureTests {
    @Test("a reader that stops reading stops the writer: writes wait instead of piling up")
    func stalledReaderBoundsWrites() async throws {
        let written = Atomic<Int>(0)
        let total = 100_000
        var router = RPCRouter()
        router.registerServerStreaming("/test.Flood/Stream") { _, writer in
            let chunk = [UInt8](repeating: 0xAB, count: 1024)
            for _ in 0..<total {
                try await writer.write(chunk)
                written.add(1, ordering: .relaxed)
            }
            return [:]
        }
        try await withServer(router) { _, client in
            try await client.serverStreaming(path: "/test.Flood/Stream", request: []) { stream in
                var iterator = stream.makeAsyncIterator()
                _ = try await iterator.next()
                // Stop reading for a while; the writer can only get as far as the
                // HTTP/2 flow-control windows and the core's buffers allow.
                try await Task.sleep(for: .milliseconds(500))
                let whileStalled = written.load(ordering: .relaxed)
                #expect(whileStalled < total / 10, "\(whileStalled) of \(total) 1 KiB writes completed while the reader was stalled")
                // Reading again lets the writer continue.
                for _ in 0..<12_000 { _ = try await iterator.next() }
                #expect(written.load(ordering: .relaxed) > whileStalled)
            }
        }
    }
}
