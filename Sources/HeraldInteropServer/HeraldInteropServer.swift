import ArgumentParser
import Foundation
import GRPCInterop
import HeraldProtos
import HeraldRPC
import Logging

/// herald-interop-server: `grpc.testing.TestService` over GRPCInterop, for the gRPC
/// interoperability test cases of a server.
@main
struct HeraldInteropServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald-interop-server",
        abstract: "Serves grpc.testing.TestService on 127.0.0.1 for the gRPC interop test cases.")

    @Option(help: "Port to listen on (127.0.0.1).")
    var port: Int = 10000

    @Option(name: .customLong("shutdown-grace"), help: "Seconds given to calls in flight on SIGTERM/SIGINT.")
    var shutdownGrace: Double = 2

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "herald-interop-server")
        var router = RPCRouter()
        TestService().register(into: &router)
        HealthService().register(into: &router)
        ReflectionService(services: [
            Grpc_Testing_TestService.descriptorName,
            Grpc_Health_V1_Health.descriptorName,
            Grpc_Reflection_V1_ServerReflection.descriptorName,
        ]).register(into: &router)
        let server = try GRPCServer(
            configuration: .init(address: "127.0.0.1:\(port)", shutdownGracePeriod: .milliseconds(Int(shutdownGrace * 1000))),
            router: router, logger: logger)
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { server.beginGracefulShutdown() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        await server.serve()
    }
}
