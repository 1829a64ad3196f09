#!/usr/bin/python3
"""A real SMTP server on loopback for IOC's e-mail tests (aiosmtpd, from Debian's python3-aiosmtpd).

Usage: smtp-server.py PORT CERT KEY USER PASSWORD OUTDIR

It offers STARTTLS and requires it before AUTH (PLAIN and LOGIN) and before any mail; each message
it accepts is parsed back with Python's standard e-mail parser and written to OUTDIR as JSON: the
envelope, the decoded subject, the headers, and every text part decoded. It prints "ready" once it
listens and stops on SIGTERM.
"""
import json
import os
import signal
import ssl
import sys
import threading
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, user, password, outdir = sys.argv[1:7]


class Store:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        parts = {}
        for part in message.walk():
            if part.get_content_maintype() == "text":
                parts[part.get_content_type()] = part.get_content()
        Store.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "authenticated": session.authenticated,
            "tls": session.ssl is not None,
            "subject": str(message["Subject"]),
            "raw_header": raw_header(envelope.original_content),
            "headers": {name: str(value) for name, value in message.items()},
            "parts": parts,
        }
        path = os.path.join(outdir, "mail-%03d.json" % Store.count)
        with open(path + ".tmp", "w", encoding="utf-8") as file:
            json.dump(record, file, ensure_ascii=False)
        os.rename(path + ".tmp", path)
        return "250 OK"


def raw_header(content):
    """The header block as sent, for checks on its encoding: every byte must be ASCII."""
    return content.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")


def authenticate(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password:
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(
    Store(), hostname="127.0.0.1", port=int(port), tls_context=context, require_starttls=True,
    authenticator=authenticate, auth_required=True, auth_require_tls=True, decode_data=False)
controller.start()
print("ready", flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
stop.wait()
controller.stop()
