import HeraldMail

extension SMTPSettings {
    /// The pool's configuration for `relays`.
    ///
    /// - Throws: ``HeraldServer/StartupError`` when the settings cannot be used.
    func poolConfiguration(relays: [SMTPRelay]) throws -> SMTPPool.Configuration {
        var credentials: SMTPPool.Credentials?
        if let username, !username.isEmpty {
            credentials = SMTPPool.Credentials(username: username, password: password ?? "")
        }
        return SMTPPool.Configuration(
            relays: relays, maxSessions: maxSessions, maxSessionsPerDomain: maxPerDomain, credentials: credentials
        )
    }
}
