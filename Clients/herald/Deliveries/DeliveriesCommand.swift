import ArgumentParser

/// `herald deliveries`: the email campaigns.
struct DeliveriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries",
        abstract: "Create, show, change and delete deliveries (email campaigns).",
        subcommands: [DeliveriesCreate.self, DeliveriesList.self, DeliveriesGet.self, DeliveriesUpdate.self, DeliveriesDelete.self]
    )
}
