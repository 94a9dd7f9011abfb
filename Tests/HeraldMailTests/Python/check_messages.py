"""Checks messages produced by HeraldMail with Python's own MIME parser.

Usage: check_messages.py MANIFEST.json
The manifest is a list of cases: {"file": path, "expect": {...}}. Prints one line per
checked message and exits non-zero with the reasons on the first mismatch.
"""
import email
import email.policy
import email.utils
import json
import sys


def fail(case, why):
    print(f"FAIL {case['file']}: {why}")
    sys.exit(1)


def norm(text):
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_lines(case, raw):
    for number, line in enumerate(raw.split(b"\r\n"), 1):
        if len(line) > 998:
            fail(case, f"line {number} has {len(line)} octets")
        if b"\n" in line or b"\r" in line:
            fail(case, f"line {number} has a bare CR or LF")
    if not raw.endswith(b"\r\n"):
        fail(case, "does not end with CRLF")


def check_mailbox(case, msg, header, expected):
    if expected is None:
        if msg[header] is not None:
            fail(case, f"unexpected {header}")
        return
    value = msg[header]
    if value is None:
        fail(case, f"missing {header}")
    addresses = value.addresses
    if len(addresses) != 1:
        fail(case, f"{header}: {len(addresses)} addresses in {str(value)!r}")
    got = addresses[0]
    if got.addr_spec != expected["address"]:
        fail(case, f"{header} address {got.addr_spec!r} != {expected['address']!r}")
    if got.display_name != (expected.get("name") or ""):
        fail(case, f"{header} name {got.display_name!r} != {expected.get('name')!r}")


def main():
    cases = json.load(open(sys.argv[1], encoding="utf-8"))
    for case in cases:
        raw = open(case["file"], "rb").read()
        expect = case["expect"]
        check_lines(case, raw)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        if msg.defects:
            fail(case, f"defects {msg.defects}")
        if msg["Subject"] != expect["subject"]:
            fail(case, f"subject {msg['Subject']!r} != {expect['subject']!r}")
        check_mailbox(case, msg, "From", expect["from"])
        check_mailbox(case, msg, "To", expect["to"])
        check_mailbox(case, msg, "Reply-To", expect.get("replyTo"))
        if msg["Message-ID"] != expect["messageID"]:
            fail(case, f"Message-ID {msg['Message-ID']!r} != {expect['messageID']!r}")
        date = email.utils.parsedate_to_datetime(msg["Date"])
        if int(date.timestamp()) != expect["date"]:
            fail(case, f"Date {msg['Date']!r} is {date.timestamp()} not {expect['date']}")
        if msg["MIME-Version"] != "1.0":
            fail(case, f"MIME-Version {msg['MIME-Version']!r}")
        if expect.get("listUnsubscribe") is not None:
            if " ".join(str(msg["List-Unsubscribe"]).split()) != expect["listUnsubscribe"]:
                fail(case, f"List-Unsubscribe {msg['List-Unsubscribe']!r} != {expect['listUnsubscribe']!r}")
            if msg["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click":
                fail(case, f"List-Unsubscribe-Post {msg['List-Unsubscribe-Post']!r}")
        for name, value in expect.get("headers", {}).items():
            if msg[name] != value:
                fail(case, f"{name} {msg[name]!r} != {value!r}")
        if msg.get_content_type() != "multipart/alternative":
            fail(case, f"content type {msg.get_content_type()}")
        parts = list(msg.iter_parts())
        if [p.get_content_type() for p in parts] != ["text/plain", "text/html"]:
            fail(case, f"parts {[p.get_content_type() for p in parts]}")
        for part, key in zip(parts, ["text", "html"]):
            if part.get_content_charset() != "utf-8":
                fail(case, f"{key} charset {part.get_content_charset()}")
            if part["Content-Transfer-Encoding"] not in ("quoted-printable", "base64"):
                fail(case, f"{key} encoding {part['Content-Transfer-Encoding']}")
            got = norm(part.get_content())
            if got != norm(expect[key]):
                fail(case, f"{key} body differs:\n got {got!r}\nwant {norm(expect[key])!r}")
        boundary = msg.get_boundary()
        for part in parts:
            if boundary in part.get_payload():
                fail(case, "the boundary occurs in an encoded part")
        print(f"ok {case['file']} ({len(raw)} bytes, {parts[0]['Content-Transfer-Encoding']}/{parts[1]['Content-Transfer-Encoding']})")
    print(f"checked {len(cases)} messages")


main()
