import ArgumentParser
import Foundation

/// Runs `herald`, turning every error into one line on stderr and an exit code. The
/// connection options may come before the subcommand (see ``LeadingOptions``).
@main
enum Main {
    static func main() async {
        do {
            let arguments = LeadingOptions.hoisted(Array(CommandLine.arguments.dropFirst()), root: Herald.self)
            var command = try Herald.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(Failure.report(error))
        }
    }
}
