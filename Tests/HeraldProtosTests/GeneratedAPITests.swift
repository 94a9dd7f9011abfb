import HeraldProtos
import HeraldTestProtos
import Testing

@Suite("Generated API: names, encodings, enums, oneofs, services")
struct GeneratedAPITests {
    @Test("health messages encode to the bytes the protobuf spec gives")
    func healthKnownBytes() throws {
        var request = Grpc_Health_V1_HealthCheckRequest()
        request.service = "a"
        #expect(request.serializedBytes() == [0x0A, 0x01, 0x61])

        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = .serving
        #expect(response.serializedBytes() == [0x08, 0x01])
        #expect(try Grpc_Health_V1_HealthCheckResponse(serializedBytes: [0x08, 0x02]).status == .notServing)
        #expect(Grpc_Health_V1_HealthCheckRequest.protoMessageName == "grpc.health.v1.HealthCheckRequest")
    }

    @Test("service method tables")
    func services() {
        #expect(Grpc_Health_V1_Health.descriptorName == "grpc.health.v1.Health")
        #expect(Grpc_Health_V1_Health.check.path == "/grpc.health.v1.Health/Check")
        #expect(!Grpc_Health_V1_Health.check.isServerStreaming && !Grpc_Health_V1_Health.check.isClientStreaming)
        #expect(Grpc_Health_V1_Health.watch.isServerStreaming)
        let reflection = Grpc_Reflection_V1_ServerReflection.serverReflectionInfo
        #expect(reflection.path == "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo")
        #expect(reflection.isServerStreaming && reflection.isClientStreaming)
        #expect(reflection.serviceName == "grpc.reflection.v1.ServerReflection")
        #expect(reflection.methodName == "ServerReflectionInfo")
        #expect(Herald_V1_DeliveryService.createDelivery.path == "/herald.v1.DeliveryService/CreateDelivery")
        #expect(Herald_V1_DeliveryService.watchPreparation.isServerStreaming)
        #expect(Grpc_Testing_TestService.emptyCall.path == "/grpc.testing.TestService/EmptyCall")
        #expect(Grpc_Testing_TestService.fullDuplexCall.isClientStreaming)
        #expect(Heraldtest_V1_FixtureService.clientStream.isClientStreaming)
    }

    @Test("enum cases drop the enum-name prefix; unknown values round-trip")
    func enums() throws {
        #expect(Herald_V1_ExclusionCause.duplicate.rawValue == 10)
        #expect(Herald_V1_ExclusionCause(rawValue: 0) == .unspecified)
        #expect(Herald_V1_ExclusionCause() == .unspecified)
        #expect(Grpc_Health_V1_HealthCheckResponse.ServingStatus.allCases.count == 4)
        #expect(Heraldtest_V1_Color.crimson == .red)
        #expect(Heraldtest_V1_Color.negative.rawValue == -7)
        #expect(Heraldtest_V1_Color(rawValue: 3) == .color2d)

        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = .unrecognized(42)
        let decoded = try Grpc_Health_V1_HealthCheckResponse(serializedBytes: response.serializedBytes())
        #expect(decoded.status == .unrecognized(42))
        #expect(decoded.status.rawValue == 42)

        var scalars = Heraldtest_V1_Scalars()
        scalars.fEnum = .unrecognized(-123_456)
        #expect(try Heraldtest_V1_Scalars(serializedBytes: scalars.serializedBytes()).fEnum.rawValue == -123_456)
        // An unrecognized value equal to a declared one is that case.
        #expect(Heraldtest_V1_Color.unrecognized(2) == .green)
    }

    @Test("oneofs: enum property plus convenience accessors")
    func oneofs() throws {
        var request = Grpc_Reflection_V1_ServerReflectionRequest()
        request.host = "localhost"
        request.fileContainingSymbol = "grpc.health.v1.Health"
        #expect(request.messageRequest == .fileContainingSymbol("grpc.health.v1.Health"))
        #expect(request.fileByFilename == "")
        let decoded = try Grpc_Reflection_V1_ServerReflectionRequest(serializedBytes: request.serializedBytes())
        #expect(decoded == request)

        // A oneof set to a default value is still present on the wire.
        var oneofs = Heraldtest_V1_Oneofs()
        oneofs.choice = .cInt32(0)
        #expect(oneofs.serializedBytes() == [0x18, 0x00])
        #expect(try Heraldtest_V1_Oneofs(serializedBytes: [0x18, 0x00]).choice == .cInt32(0))
        oneofs.choice = .cEmpty(Heraldtest_V1_Empty())
        #expect(try Heraldtest_V1_Oneofs(serializedBytes: oneofs.serializedBytes()).choice == .cEmpty(.init()))
    }

    @Test("proto3 optional: presence survives, even for zero values")
    func optionals() throws {
        var optionals = Heraldtest_V1_Optionals()
        optionals.oInt32 = 0
        optionals.oString = ""
        optionals.oEnum = .unspecified
        let decoded = try Heraldtest_V1_Optionals(serializedBytes: optionals.serializedBytes())
        #expect(decoded.oInt32 == 0 && decoded.oString == "" && decoded.oEnum == .unspecified)
        #expect(decoded.oBool == nil && decoded.oMessage == nil)
    }

    @Test("recursive messages are values (boxed storage)")
    func recursion() throws {
        var root = Heraldtest_V1_Node()
        root.label = "root"
        var leaf = Heraldtest_V1_Node()
        leaf.label = "leaf"
        root.parent = leaf
        var copy = root
        copy.parent?.label = "changed"
        #expect(root.parent?.label == "leaf")
        #expect(copy.parent?.label == "changed")
        root.link = .next(leaf)
        #expect(try Heraldtest_V1_Node(serializedBytes: root.serializedBytes()) == root)
    }

    @Test("names: keywords escaped, reserved names suffixed, nested types")
    func names() {
        var keywords = Heraldtest_V1_Keywords()
        keywords.default = true
        keywords.class = "c"
        keywords.in = 1
        keywords.self_p = "s"
        keywords.type = "t"
        keywords.protocol = "p"
        keywords.httpStatus = 200
        keywords.urlV2 = "u"
        keywords.hashValue_p = 1
        keywords.serializedBytes_p = "b"
        keywords.description_p = "d"
        keywords.nestedType = Heraldtest_V1_Keywords.TypeMessage()
        keywords.switch = .case("x")
        keywords.protoEnum = .rawValue_
        #expect(keywords.case == "x")
        #expect((try? Heraldtest_V1_Keywords(serializedBytes: keywords.serializedBytes())) == keywords)

        var delivery = Herald_V1_Delivery()
        delivery.content = Herald_V1_DeliveryContent()
        delivery.createTime = Google_Protobuf_Timestamp()
        #expect(delivery.content != nil)
        var profile = Herald_V1_Profile()
        profile.firstName = "Åsa"
        profile.attributes["k"] = "v"
        #expect(profile.attributes.count == 1)
    }

    @Test("a string is encoded up to its first NUL (protobuf-c strings are C strings)")
    func nulInString() throws {
        var request = Grpc_Health_V1_HealthCheckRequest()
        request.service = "ab\u{0}cd"
        #expect(request.serializedBytes() == [0x0A, 0x02, 0x61, 0x62])
        // A received string is read up to its first NUL too.
        #expect(try Grpc_Health_V1_HealthCheckRequest(serializedBytes: [0x0A, 0x03, 0x61, 0x00, 0x62]).service == "a")
        request.service = "\u{0}"
        // Cut to "", which proto3 does not write at all.
        #expect(request.serializedBytes() == [])
    }

    @Test("maps encode in key order, so equal messages give equal bytes")
    func mapOrder() {
        var a = Heraldtest_V1_Maps()
        var b = Heraldtest_V1_Maps()
        for key in ["b", "a", "é", "z", "", "aa"] {
            a.stringToString[key] = key
        }
        for key in ["aa", "", "z", "é", "a", "b"] {
            b.stringToString[key] = key
        }
        #expect(a.serializedBytes() == b.serializedBytes())
    }
}
