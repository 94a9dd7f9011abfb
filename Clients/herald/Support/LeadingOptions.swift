import ArgumentParser

/// The shared connection options written before the subcommand
/// (`herald --server H:P --timeout 5 profiles list`).
///
/// swift-argument-parser gives a root command's options to the root only, while every
/// `herald` subcommand declares ``ConnectionOptions`` itself. So the arguments are
/// rewritten before parsing: the connection options found before the first subcommand
/// name move to just after the subcommand path (`profiles list --server H:P …`), where
/// that subcommand parses them as if they had been written there. Options after the
/// subcommand stay where they are; given twice, the later one wins.
enum LeadingOptions {
    /// Options that take a value.
    static let valued: Set<String> = ["--server", "--timeout"]
    /// Options that are flags.
    static let flags: Set<String> = ["--json"]

    /// `arguments` (without the executable's name) with the leading connection options
    /// moved after the subcommand path of `root`.
    static func hoisted(_ arguments: [String], root: any ParsableCommand.Type) -> [String] {
        var leading: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            if flags.contains(argument) || (valued.contains(name) && argument.contains("=")) {
                leading.append(argument)
                index += 1
            } else if valued.contains(argument), index + 1 < arguments.endIndex {
                leading.append(contentsOf: arguments[index...(index + 1)])
                index += 2
            } else {
                break
            }
        }
        guard !leading.isEmpty else { return arguments }
        var path: [String] = []
        var command = root
        while index < arguments.endIndex, let next = subcommand(named: arguments[index], of: command) {
            path.append(arguments[index])
            command = next
            index += 1
        }
        return path + leading + arguments[index...]
    }

    /// The subcommand of `command` called `name` (or one of its aliases).
    private static func subcommand(named name: String, of command: any ParsableCommand.Type) -> (any ParsableCommand.Type)? {
        command.configuration.subcommands.first { candidate in
            let configuration = candidate.configuration
            let own = configuration.commandName ?? String(describing: candidate).lowercased()
            return own == name || configuration.aliases.contains(name)
        }
    }
}
