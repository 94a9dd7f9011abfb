import ArgumentParser

/// `herald profiles`: the recipients.
struct ProfilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "Import, query and change profiles (recipients).",
        subcommands: [
            ProfilesImport.self, ProfilesCount.self, ProfilesList.self, ProfilesGet.self,
            ProfilesUnsubscribe.self, ProfilesDelete.self,
        ]
    )
}
