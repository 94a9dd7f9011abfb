"""An aiosmtpd server requiring AUTH (without TLS, on loopback) for HeraldMail's tests.

Usage: auth_server.py PORT LOGFILE USER PASSWORD [EXCLUDED_MECHANISM...]
Accepts the credentials USER / PASSWORD only, and appends one line per AUTH attempt,
"AUTH <mechanism> <ok|refused>", and one per accepted message, "DELIVERED <recipient>",
to LOGFILE. Runs until terminated.
"""
import asyncio
import signal
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Handler:
    def __init__(self, log, user, password):
        self.log, self.user, self.password = log, user.encode(), password.encode()

    def write(self, line):
        with open(self.log, "a", encoding="utf-8") as log:
            log.write(line + "\n")

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == self.user and auth_data.password == self.password
        self.write(f"AUTH {mechanism} {'ok' if ok else 'refused'}")
        return AuthResult(success=ok, handled=False)

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            self.write(f"DELIVERED {rcpt}")
        return "250 2.0.0 accepted"


def main():
    port, log, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    handler = Handler(log, user, password)
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=handler.authenticator,
                            auth_required=True, auth_require_tls=False, auth_exclude_mechanism=sys.argv[5:])
    controller.start()
    print(f"listening on {port}", flush=True)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


main()
