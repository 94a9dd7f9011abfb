import ArgumentParser

/// `herald`: the command-line client of a Herald server.
struct Herald: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "The command-line client of Herald, the email delivery service.",
        discussion: """
            The connection options --server HOST:PORT (env HERALD_SERVER), --timeout SECONDS \
            and --json go before or after the subcommand: herald --server 127.0.0.1:50051 \
            profiles list, or herald profiles list --server 127.0.0.1:50051.

            Exit codes: 0 success, 1 other error, 2 usage error, 3 not found, \
            4 invalid argument or failed precondition, 5 server unavailable or unreachable.
            """,
        subcommands: [
            ProfilesCommand.self, DeliveriesCommand.self, Prepare.self, Stop.self, Logs.self, Exclusions.self,
            Send.self, Pause.self, Resume.self, Cancel.self, Messages.self, Kpis.self, Demo.self, DemoAudience.self,
        ]
    )
}
