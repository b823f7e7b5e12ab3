"""The conformance-server (examples/conformance) as the Python suite sees it.

SIO_CONFORMANCE_BIN (required) is the path of the server binary; `start` runs it on a free
port with extra environment variables and waits until it answers a polling handshake.
"""

import os
import socket
import subprocess
import tempfile
import time
import urllib.request

# The heartbeat the conformance-server is configured with (ms).
PING_INTERVAL = 300
PING_TIMEOUT = 200


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running conformance-server: `url` is its origin; `stop()` ends it."""

    def __init__(self, env=None):
        binary = os.environ.get("SIO_CONFORMANCE_BIN")
        if not binary or not os.access(binary, os.X_OK):
            raise RuntimeError(
                "SIO_CONFORMANCE_BIN must name the conformance-server binary: cargo build "
                "--bin conformance-server && SIO_CONFORMANCE_BIN=$PWD/target/debug/"
                "conformance-server python3 -m unittest discover -s tests/interop-python"
            )
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        full_env = dict(os.environ, PORT=str(self.port), **(env or {}))
        self.process = subprocess.Popen(
            [binary], env=full_env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"conformance-server exited early:\n{self.output()}")
            try:
                with urllib.request.urlopen(
                    f"{self.url}/socket.io/?EIO=4&transport=polling", timeout=1
                ) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"conformance-server did not answer:\n{self.output()}")
            time.sleep(0.05)

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
