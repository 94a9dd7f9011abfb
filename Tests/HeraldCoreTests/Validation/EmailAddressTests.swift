import HeraldCore
import Testing

@Suite("Email address syntax")
struct EmailAddressTests {
    @Test(
        "valid addresses",
        arguments: ["a@b.co", "first.last@example.org", "x+tag@sub.example.com", "o'brien@example.ie",
                    "user@xn--bcher-kva.example", "åsa@exempel.se", "a-b_c@a-b.example.com", "1@example.com"]
    )
    func valid(address: String) {
        #expect(EmailAddress.isValid(address))
    }

    @Test(
        "invalid addresses",
        arguments: ["", "plain", "@example.com", "user@", "user@localhost", "user@@example.com", "a..b@example.com",
                    ".a@example.com", "a.@example.com", "user@-example.com", "user@example-.com", "user@example..com",
                    "user name@example.com", "user@exa mple.com", "user@example.123", "\"quoted\"@example.com",
                    "user@[127.0.0.1]", String(repeating: "a", count: 65) + "@example.com",
                    "a@" + String(repeating: "b", count: 64) + ".com", "a@b.c\u{0}"]
    )
    func invalid(address: String) {
        #expect(!EmailAddress.isValid(address))
    }
}
