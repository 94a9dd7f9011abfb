import Foundation
import HeraldProtos
import Testing

@Suite("ProtoReflectionData")
struct ReflectionDataTests {
    static let expectedFiles = [
        "google/protobuf/field_mask.proto", "google/protobuf/timestamp.proto",
        "grpc/health/v1/health.proto", "grpc/reflection/v1/reflection.proto",
        "grpc/reflection/v1alpha/reflection.proto", "grpc/testing/empty.proto",
        "grpc/testing/messages.proto", "grpc/testing/test.proto",
        "herald/v1/delivery.proto", "herald/v1/delivery_service.proto", "herald/v1/profile.proto",
    ]

    @Test("every file is present and its imports too, before it")
    func files() {
        let names = ProtoReflectionData.files.map(\.name)
        for name in Self.expectedFiles {
            #expect(names.contains(name), "\(name)")
        }
        for (index, file) in ProtoReflectionData.files.enumerated() {
            #expect(ProtoReflectionData.file(named: file.name) == file)
            for dependency in file.dependencies {
                let position = names.firstIndex(of: dependency)
                #expect(position != nil && position! < index, "\(file.name) imports \(dependency)")
            }
        }
        #expect(ProtoReflectionData.file(named: "nope.proto") == nil)
    }

    @Test("symbols: messages, nested types, enums, services, methods")
    func symbols() {
        let cases: [(String, String)] = [
            ("grpc.health.v1.Health", "grpc/health/v1/health.proto"),
            ("grpc.health.v1.Health.Check", "grpc/health/v1/health.proto"),
            ("grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"),
            (".grpc.health.v1.HealthCheckRequest", "grpc/health/v1/health.proto"),
            ("grpc.testing.LoadBalancerStatsResponse.RpcsByPeer", "grpc/testing/messages.proto"),
            ("grpc.reflection.v1alpha.ServerReflection.ServerReflectionInfo", "grpc/reflection/v1alpha/reflection.proto"),
            ("herald.v1.DeliveryService.CreateDelivery", "herald/v1/delivery_service.proto"),
            ("herald.v1.ExclusionCause", "herald/v1/preparation.proto"),
            ("google.protobuf.Timestamp", "google/protobuf/timestamp.proto"),
        ]
        for (symbol, file) in cases {
            #expect(ProtoReflectionData.fileContaining(symbol: symbol)?.name == file, "\(symbol)")
        }
        #expect(ProtoReflectionData.fileContaining(symbol: "grpc.testing.LoadBalancerStatsResponse.RpcsByPeerEntry") == nil)
        #expect(ProtoReflectionData.fileContaining(symbol: "no.such.Thing") == nil)
    }

    @Test("descriptor bytes are exactly the ones in Protos/generated/herald.protoset")
    func descriptorBytes() throws {
        let url = packageRoot.appendingPathComponent("Protos/generated/herald.protoset")
        let set = [UInt8](try Data(contentsOf: url))
        let embedded = ProtoReflectionData.files.map(\.serializedDescriptor)
        #expect(Self.fileDescriptors(inSet: set) == embedded)
    }

    /// The length-delimited field 1 entries of a FileDescriptorSet.
    static func fileDescriptors(inSet bytes: [UInt8]) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var position = 0
        func varint() -> Int {
            var value = 0
            var shift = 0
            while true {
                let byte = bytes[position]
                position += 1
                value |= Int(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
        }
        while position < bytes.count {
            #expect(varint() == 0x0A)
            let length = varint()
            result.append(Array(bytes[position..<position + length]))
            position += length
        }
        return result
    }
}

/// The package root, from this file's path (Tests/HeraldProtosTests/<file>).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
