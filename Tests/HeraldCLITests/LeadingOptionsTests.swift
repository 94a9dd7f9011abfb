import Testing

@testable import herald

@Suite("LeadingOptions: connection options before the subcommand")
struct LeadingOptionsTests {
    @Test(arguments: [
        (["--server", "h:1", "profiles", "list"], ["profiles", "list", "--server", "h:1"]),
        (["--server=h:1", "--json", "deliveries", "get", "d1"], ["deliveries", "get", "--server=h:1", "--json", "d1"]),
        (["--timeout", "5", "prepare", "d1", "--watch"], ["prepare", "--timeout", "5", "d1", "--watch"]),
        (["profiles", "list", "--server", "h:1"], ["profiles", "list", "--server", "h:1"]),
        (["--json", "profiles", "count", "--", "-x"], ["profiles", "count", "--json", "--", "-x"]),
        (["--json"], ["--json"]),
        (["--help"], ["--help"]),
    ])
    func hoists(arguments: [String], expected: [String]) {
        #expect(LeadingOptions.hoisted(arguments, root: Herald.self) == expected)
    }

    @Test func parsesWithTheHoistedOptions() throws {
        let arguments = LeadingOptions.hoisted(["--server", "10.0.0.1:7", "--timeout", "2.5", "--json", "profiles", "count", "x"], root: Herald.self)
        let command = try Herald.parseAsRoot(arguments)
        let count = try #require(command as? ProfilesCount)
        #expect(count.connection.server == "10.0.0.1:7")
        #expect(count.connection.timeout == 2.5)
        #expect(count.connection.json)
    }
}
