"""python-engineio 4 (its synchronous client) against the conformance-server's Engine.IO
echo endpoint (/engine.io/), over WebSocket, polling and polling upgraded: text and binary
messages come back as sent, and the session survives several heartbeats."""

import threading
import time
import unittest

import engineio

from server import PING_INTERVAL, PING_TIMEOUT, Server

TIMEOUT = 10


class EngineIoTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_echo_over_each_transport(self):
        for transports in (["websocket"], ["polling"], ["polling", "websocket"]):
            with self.subTest(transports=transports):
                received = []
                arrived = threading.Condition()
                eio = engineio.Client()
                self.addCleanup(eio.disconnect)

                @eio.on("message")
                def on_message(data):
                    with arrived:
                        received.append(data)
                        arrived.notify_all()

                eio.connect(
                    self.server.url,
                    transports=transports,
                    engineio_path="/engine.io/",
                )
                sent = ["hello", "ünïcødé ✓", b"\x00\x01\xff", "x" * 100_000]
                for message in sent:
                    eio.send(message)
                with arrived:
                    self.assertTrue(
                        arrived.wait_for(lambda: len(received) >= len(sent), TIMEOUT),
                        f"echoes: {received!r}",
                    )
                self.assertEqual(received, sent)
                # Heartbeats answered: still connected after several intervals.
                time.sleep(4 * (PING_INTERVAL + PING_TIMEOUT) / 1000)
                eio.send("after")
                with arrived:
                    self.assertTrue(arrived.wait_for(lambda: received[-1] == "after", TIMEOUT))


if __name__ == "__main__":
    unittest.main()
