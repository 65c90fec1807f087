"""A webhook receiver as a customer would write it: the `standardwebhooks`
package from PyPI, unmodified, verifies each delivery; every verified event is
printed as one JSON line on stdout, anything else is answered 401 and dropped.

Usage: python webhook_receiver.py PORT  (the secret in WEBHOOK_SECRET)
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook

verifier = Webhook(os.environ["WEBHOOK_SECRET"])


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        try:
            event = verifier.verify(body, dict(self.headers))
        except Exception as error:  # the library's own verification failure
            self.send_response(401)
            self.end_headers()
            self.wfile.write(str(error).encode())
            return
        print(json.dumps(event), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
print("listening", flush=True)
server.serve_forever()
