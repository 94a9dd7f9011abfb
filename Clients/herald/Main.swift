import ArgumentParser
import Foundation

/// Runs `herald`, turning every error into one line on stderr and an exit code.
@main
enum Main {
    static func main() async {
        do {
            var command = try Herald.parseAsRoot()
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
