import HeraldMail

extension SMTPSettings {
    /// The pool's configuration for `relays`.
    ///
    func poolConfiguration(relays: [SMTPRelay]) -> SMTPPool.Configuration {
        var credentials: SMTPPool.Credentials?
        if let username, !username.isEmpty {
            credentials = SMTPPool.Credentials(username: username, password: password ?? "")
        }
        let startTLS: SMTPPool.StartTLS =
            switch self.startTLS {
            case .off: .off
            case .opportunistic: .opportunistic
            case .required: .required
            }
        return SMTPPool.Configuration(
            relays: relays, maxSessions: maxSessions, maxSessionsPerDomain: maxPerDomain, credentials: credentials,
            startTLS: startTLS, trustRootsFile: caFile, allowsPlaintextAuthOnLoopback: allowsPlaintextAuthOnLoopback
        )
    }
}
