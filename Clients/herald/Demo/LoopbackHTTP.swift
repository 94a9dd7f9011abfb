import Foundation

/// The smallest HTTP/1.1 client the simulated audience needs: one `GET` per connection
/// (`Connection: close`) to a server on the loopback interface, returning the status code.
/// Blocking socket I/O with 5-second timeouts: call it from a thread of its own (the
/// audience runs it on Dispatch worker threads), never from the cooperative pool.
enum LoopbackHTTP {
    /// An `http://127.0.0.1:PORT/path` URL split in its parts.
    struct Target: Equatable, Sendable {
        var port: UInt16
        var path: String

        /// Parses `url`; nil unless it is plain http to 127.0.0.1 or localhost with a port.
        init?(_ url: String) {
            for prefix in ["http://127.0.0.1:", "http://localhost:"] where url.hasPrefix(prefix) {
                let rest = url.dropFirst(prefix.count)
                let slash = rest.firstIndex(of: "/") ?? rest.endIndex
                guard let port = UInt16(rest[..<slash]), port > 0 else { return nil }
                self.port = port
                self.path = slash == rest.endIndex ? "/" : String(rest[slash...])
                return
            }
            return nil
        }
    }

    /// Why a request got no status code.
    struct Error: Swift.Error, CustomStringConvertible {
        var description: String
    }

    /// Sends `GET target.path` and returns the response's status code.
    static func get(_ target: Target) throws(Error) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Error(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = target.port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Error(description: "connect to 127.0.0.1:\(target.port): \(String(cString: strerror(errno)))") }
        let request = Array("GET \(target.path) HTTP/1.1\r\nHost: 127.0.0.1:\(target.port)\r\nUser-Agent: herald-demo-audience\r\nAccept: */*\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw Error(description: "send: \(String(cString: strerror(errno)))") }
            sent += written
        }
        // Read until the status line is complete (then the rest until the server closes,
        // so that it never sees a reset).
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < 65_536 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 { throw Error(description: "recv: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            received.append(contentsOf: buffer[..<count])
        }
        return try status(of: received)
    }

    /// The status code of a response's first line (`HTTP/1.1 302 Found`).
    static func status(of response: [UInt8]) throws(Error) -> Int {
        let line = response.prefix { $0 != 13 && $0 != 10 }
        let parts = String(decoding: line, as: UTF8.self).split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]), (100...599).contains(code) else {
            throw Error(description: "not an HTTP response: \(String(decoding: line.prefix(60), as: UTF8.self))")
        }
        return code
    }
}
