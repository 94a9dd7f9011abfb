public import GRPCInterop
public import HeraldProtos

/// Server reflection, `grpc.reflection.v1.ServerReflection` and
/// `grpc.reflection.v1alpha.ServerReflection`: lists the services and serves the
/// file descriptors (with their dependencies) that describe them, from the
/// descriptor set generated with the protos (``ProtoReflectionData``).
public struct ReflectionService: Sendable {
    private let index: ReflectionIndex

    /// Describes `services` (fully-qualified names); the files are every generated
    /// file, so any symbol of the generated set can be looked up.
    public init(services: [String], files: [ProtoReflectionFile] = ProtoReflectionData.files) {
        index = ReflectionIndex(services: services, files: files)
    }

    /// The services this reflection lists.
    public var services: [String] { index.services }

    /// Registers both reflection versions.
    public func register(into router: inout RPCRouter) {
        let index = self.index
        router.registerBidirectionalStreaming(Grpc_Reflection_V1_ServerReflection.serverReflectionInfo.path) { requests, writer, _ in
            for try await bytes in requests {
                let request = try Grpc_Reflection_V1_ServerReflectionRequest.decodeRequest(
                    bytes, method: Grpc_Reflection_V1_ServerReflection.serverReflectionInfo.path)
                try await writer.write(index.respond(to: request).serializedBytes())
            }
            return [:]
        }
        router.registerBidirectionalStreaming(Grpc_Reflection_V1alpha_ServerReflection.serverReflectionInfo.path) { requests, writer, _ in
            for try await bytes in requests {
                let request = try Grpc_Reflection_V1alpha_ServerReflectionRequest.decodeRequest(
                    bytes, method: Grpc_Reflection_V1alpha_ServerReflection.serverReflectionInfo.path)
                try await writer.write(index.respond(to: request).serializedBytes())
            }
            return [:]
        }
    }
}

/// The lookups reflection answers, independent of the protocol version.
struct ReflectionIndex: Sendable {
    enum Answer: Equatable {
        case files([[UInt8]])
        case services([String])
        case extensionNumbers(type: String, numbers: [Int32])
        case error(code: Int32, message: String)
    }

    let services: [String]
    private let filesByName: [String: ProtoReflectionFile]
    private let fileBySymbol: [String: String]

    init(services: [String], files: [ProtoReflectionFile]) {
        self.services = services.sorted()
        var filesByName: [String: ProtoReflectionFile] = [:]
        var fileBySymbol: [String: String] = [:]
        for file in files {
            filesByName[file.name] = file
            for symbol in file.symbols { fileBySymbol[symbol] = file.name }
        }
        self.filesByName = filesByName
        self.fileBySymbol = fileBySymbol
    }

    /// A file and every file it depends on, transitively, the file first.
    func fileWithDependencies(_ name: String) -> [[UInt8]]? {
        guard filesByName[name] != nil else { return nil }
        var seen: Set<String> = []
        var ordered: [[UInt8]] = []
        var pending = [name]
        while let next = pending.popLast() {
            guard seen.insert(next).inserted, let file = filesByName[next] else { continue }
            ordered.append(file.serializedDescriptor)
            pending.append(contentsOf: file.dependencies.reversed())
        }
        return ordered
    }

    func fileContaining(symbol: String) -> [[UInt8]]? {
        var symbol = symbol.hasPrefix(".") ? String(symbol.dropFirst()) : symbol
        while !symbol.isEmpty {
            if let file = fileBySymbol[symbol] { return fileWithDependencies(file) }
            // A field or enum value: look up its parent.
            guard let dot = symbol.lastIndex(of: ".") else { break }
            symbol = String(symbol[..<dot])
        }
        return nil
    }

    func answer(
        fileByFilename: String?, fileContainingSymbol: String?, extensionOf: String?,
        allExtensionNumbersOf: String?, listServices: Bool
    ) -> Answer {
        if let name = fileByFilename {
            return fileWithDependencies(name).map(Answer.files) ?? .error(code: 5, message: "file not found: \(name)")
        }
        if let symbol = fileContainingSymbol {
            return fileContaining(symbol: symbol).map(Answer.files) ?? .error(code: 5, message: "symbol not found: \(symbol)")
        }
        if let type = extensionOf {
            return .error(code: 5, message: "extension not found in \(type): proto3 messages have no extensions")
        }
        if let type = allExtensionNumbersOf {
            guard fileBySymbol[type] != nil else { return .error(code: 5, message: "type not found: \(type)") }
            return .extensionNumbers(type: type, numbers: [])
        }
        if listServices {
            return .services(services)
        }
        return .error(code: 3, message: "the reflection request names no lookup")
    }
}

extension ReflectionIndex {
    func respond(to request: Grpc_Reflection_V1_ServerReflectionRequest) -> Grpc_Reflection_V1_ServerReflectionResponse {
        var answer: Answer
        switch request.messageRequest {
        case .fileByFilename(let name)?:
            answer = self.answer(fileByFilename: name, fileContainingSymbol: nil, extensionOf: nil, allExtensionNumbersOf: nil, listServices: false)
        case .fileContainingSymbol(let symbol)?:
            answer = self.answer(fileByFilename: nil, fileContainingSymbol: symbol, extensionOf: nil, allExtensionNumbersOf: nil, listServices: false)
        case .fileContainingExtension(let request)?:
            answer = self.answer(fileByFilename: nil, fileContainingSymbol: nil, extensionOf: request.containingType, allExtensionNumbersOf: nil, listServices: false)
        case .allExtensionNumbersOfType(let type)?:
            answer = self.answer(fileByFilename: nil, fileContainingSymbol: nil, extensionOf: nil, allExtensionNumbersOf: type, listServices: false)
        case .listServices?:
            answer = self.answer(fileByFilename: nil, fileContainingSymbol: nil, extensionOf: nil, allExtensionNumbersOf: nil, listServices: true)
        case nil:
            answer = .error(code: 3, message: "the reflection request names no lookup")
        }
        var response = Grpc_Reflection_V1_ServerReflectionResponse()
        response.validHost = request.host
        response.originalRequest = request
        switch answer {
        case .files(let files):
            var files_ = Grpc_Reflection_V1_FileDescriptorResponse()
            files_.fileDescriptorProto = files
            response.messageResponse = .fileDescriptorResponse(files_)
        case .services(let names):
            var list = Grpc_Reflection_V1_ListServiceResponse()
            list.service = names.map { name in
                var service = Grpc_Reflection_V1_ServiceResponse()
                service.name = name
                return service
            }
            response.messageResponse = .listServicesResponse(list)
        case .extensionNumbers(let type, let numbers):
            var numbers_ = Grpc_Reflection_V1_ExtensionNumberResponse()
            numbers_.baseTypeName = type
            numbers_.extensionNumber = numbers
            response.messageResponse = .allExtensionNumbersResponse(numbers_)
        case .error(let code, let message):
            var error = Grpc_Reflection_V1_ErrorResponse()
            error.errorCode = code
            error.errorMessage = message
            response.messageResponse = .errorResponse(error)
        }
        return response
    }

    /// v1alpha has the same messages under another package: convert through v1.
    func respond(to request: Grpc_Reflection_V1alpha_ServerReflectionRequest) -> Grpc_Reflection_V1alpha_ServerReflectionResponse {
        let v1Request = (try? Grpc_Reflection_V1_ServerReflectionRequest(serializedBytes: request.serializedBytes())) ?? .init()
        let v1Response = respond(to: v1Request)
        return (try? Grpc_Reflection_V1alpha_ServerReflectionResponse(serializedBytes: v1Response.serializedBytes())) ?? .init()
    }
}
