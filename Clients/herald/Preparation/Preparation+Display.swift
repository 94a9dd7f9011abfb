import HeraldProtos

extension Herald_V1_PreparationPhase {
    /// TARGETING, RULES...
    var shortName: String { Output.shortName(self, prefix: "PREPARATION_PHASE_") }
}

extension Herald_V1_PreparationState {
    /// RUNNING, SUCCEEDED...
    var shortName: String { Output.shortName(self, prefix: "PREPARATION_STATE_") }
}

extension Herald_V1_LogSeverity {
    /// INFO, WARNING, ERROR.
    var shortName: String { Output.shortName(self, prefix: "LOG_SEVERITY_") }

    /// The style of a severity cell.
    static func style(_ text: String) -> Terminal.Style? {
        switch text {
        case "WARNING": .yellow
        case "ERROR": .red
        default: nil
        }
    }
}

extension Herald_V1_ExclusionCause {
    /// DUPLICATE, DENYLISTED...
    var shortName: String { Output.shortName(self, prefix: "EXCLUSION_CAUSE_") }
}

extension Herald_V1_DeliveryLogEntry {
    /// One line: time, severity, phase, code, message and profile.
    var line: String {
        var parts = [Output.time(time), Terminal.styled(severity.shortName, Herald_V1_LogSeverity.style(severity.shortName) ?? .dim)]
        if phase != .unspecified { parts.append(phase.shortName) }
        if !code.isEmpty { parts.append(code) }
        parts.append(message)
        if !profileId.isEmpty { parts.append("(profile \(profileId))") }
        return parts.joined(separator: " ")
    }
}

extension Herald_V1_PreparationKpis {
    /// "Targeted 10  To deliver 8  To exclude 2 (DUPLICATE 1, DENYLISTED 1)".
    var summary: String {
        var text = "Targeted \(targeted)  To deliver \(toDeliver)  To exclude \(toExclude)"
        let causes = exclusionCounts.filter { $0.count > 0 }.map { "\($0.cause.shortName) \($0.count)" }
        if !causes.isEmpty { text += " (\(causes.joined(separator: ", ")))" }
        return text
    }
}

/// Parsing enum values given on the command line: "duplicate", "DUPLICATE" or the full
/// proto name.
enum EnumArgument {
    static func parse<Value: ProtoEnum & CaseIterable>(_ text: String, prefix: String, what: String) throws -> Value {
        let name = text.uppercased().replacingOccurrences(of: "-", with: "_")
        guard let value = Value(protoName: name) ?? Value(protoName: prefix + name), value.rawValue != 0 else {
            let known = Value.allCases.filter { $0.rawValue != 0 }.map { Output.shortName($0, prefix: prefix).lowercased() }
            throw Failure.invalidArgument("unknown \(what) '\(text)' (one of \(known.joined(separator: ", ")))")
        }
        return value
    }
}
