import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald profiles list`.
struct ProfilesList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List profiles by id.")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Only profiles matching this filter expression.")
    var filter: String = ""

    @Option(help: "Profiles per page (the server caps it at 1,000).")
    var pageSize: Int32 = 100

    @Option(help: "Start at this page (the token printed after a page).")
    var pageToken: String = ""

    @Flag(help: "Fetch every page.")
    var all = false

    func validate() throws {
        guard pageSize > 0 else { throw ValidationError("--page-size must be positive") }
    }

    func run() async throws {
        var request = Herald_V1_ListProfilesRequest()
        request.filter = filter
        request.pageSize = pageSize
        request.pageToken = pageToken
        var table = Table(["ID", "EMAIL", "NAME", "SUBSCRIPTION", "TAGS"])
        table.style[3] = Herald_V1_Profile.subscriptionStyle
        let nextPage = try await connection.withClient { client in
            while true {
                let page = try await client.call(Herald_V1_ProfileService.listProfiles, request, options: connection.callOptions)
                for profile in page.profiles {
                    if connection.json {
                        Output.printJSON(profile)
                    } else {
                        table.rows.append([profile.id, profile.email, profile.displayName, profile.subscriptionName, profile.tags.joined(separator: ",")])
                    }
                }
                guard all, !page.nextPageToken.isEmpty else { return page.nextPageToken }
                request.pageToken = page.nextPageToken
            }
        }
        if !connection.json {
            print(table.render())
        }
        if !nextPage.isEmpty {
            Terminal.printNote("more profiles: --page-token \(nextPage), or --all for every page")
        }
    }
}
