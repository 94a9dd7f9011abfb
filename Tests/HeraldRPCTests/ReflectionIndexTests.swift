@testable import HeraldRPC
import HeraldProtos
import Testing

@Suite("Server reflection lookups")
struct ReflectionIndexTests {
    let index = ReflectionIndex(
        services: ["herald.v1.DeliveryService", "grpc.health.v1.Health"],
        files: ProtoReflectionData.files)

    func names(_ files: [[UInt8]]?) -> [String] {
        (files ?? []).compactMap { bytes in ProtoReflectionData.files.first { $0.serializedDescriptor == bytes }?.name }
    }

    @Test("list services returns the configured services, sorted")
    func listServices() {
        var request = Grpc_Reflection_V1_ServerReflectionRequest()
        request.messageRequest = .listServices("*")
        let response = index.respond(to: request)
        #expect(response.listServicesResponse.service.map(\.name) == ["grpc.health.v1.Health", "herald.v1.DeliveryService"])
        #expect(response.originalRequest == request)
    }

    @Test("a file comes with every file it depends on, transitively, each once")
    func fileWithDependencies() throws {
        let served = names(index.fileWithDependencies("herald/v1/delivery_service.proto"))
        #expect(served.first == "herald/v1/delivery_service.proto")
        #expect(Set(served).count == served.count)
        let service = try #require(ProtoReflectionData.file(named: "herald/v1/delivery_service.proto"))
        var expected: Set<String> = []
        var pending = service.dependencies
        while let next = pending.popLast() {
            if expected.insert(next).inserted {
                pending += ProtoReflectionData.file(named: next)?.dependencies ?? []
            }
        }
        #expect(Set(served.dropFirst()) == expected)
        #expect(expected.contains("google/protobuf/timestamp.proto"))
    }

    @Test(
        "symbols resolve to their file: services, methods, messages, enums, fields",
        arguments: [
            ("herald.v1.DeliveryService", "herald/v1/delivery_service.proto"),
            ("herald.v1.DeliveryService.CreateDelivery", "herald/v1/delivery_service.proto"),
            (".herald.v1.Profile", "herald/v1/profile.proto"),
            ("herald.v1.Profile.email", "herald/v1/profile.proto"),
            ("grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"),
            ("google.protobuf.Timestamp", "google/protobuf/timestamp.proto"),
        ])
    func symbols(symbol: String, file: String) {
        #expect(names(index.fileContaining(symbol: symbol)).first == file)
    }

    @Test("unknown files, symbols and extensions are NOT_FOUND error responses")
    func errors() {
        for lookup: Grpc_Reflection_V1_ServerReflectionRequest.OneOf_MessageRequest in [
            .fileByFilename("nope.proto"), .fileContainingSymbol("no.such.Symbol"),
            .fileContainingExtension(.init()), .allExtensionNumbersOfType("no.Such"),
        ] {
            var request = Grpc_Reflection_V1_ServerReflectionRequest()
            request.messageRequest = lookup
            let response = index.respond(to: request)
            #expect(response.errorResponse.errorCode == 5, "\(lookup)")
            #expect(!response.errorResponse.errorMessage.isEmpty)
        }
    }

    @Test("v1alpha answers exactly what v1 answers")
    func v1alpha() throws {
        var v1 = Grpc_Reflection_V1_ServerReflectionRequest()
        v1.host = "localhost"
        v1.messageRequest = .fileContainingSymbol("herald.v1.ProfileService")
        let alpha = try Grpc_Reflection_V1alpha_ServerReflectionRequest(serializedBytes: v1.serializedBytes())
        let v1Response = index.respond(to: v1)
        let alphaResponse = index.respond(to: alpha)
        #expect(alphaResponse.serializedBytes() == v1Response.serializedBytes())
        #expect(alphaResponse.validHost == "localhost")
        #expect(!alphaResponse.fileDescriptorResponse.fileDescriptorProto.isEmpty)
    }
}
