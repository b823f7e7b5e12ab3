"""python-socketio 5 (its synchronous client) against sio's conformance-server, over
WebSocket, long-polling, and polling upgraded to WebSocket: connect with auth, events and
acks in both directions with key order and binary kept, rooms, namespaces and their refusals,
server disconnects with their reason, heartbeats, and the msgpack parser."""

import threading
import time
import unittest

import socketio
import socketio.exceptions

from server import PING_INTERVAL, PING_TIMEOUT, Server

TIMEOUT = 10

# python-socketio's transports lists for the three ways a client connects.
MODES = {
    "websocket": ["websocket"],
    "polling": ["polling"],
    "polling+upgrade": ["polling", "websocket"],
}


class Inbox:
    """Events of one kind, received on the client's threads, waited for with a deadline."""

    def __init__(self):
        self.items = []
        self.cond = threading.Condition()

    def put(self, item):
        with self.cond:
            self.items.append(item)
            self.cond.notify_all()

    def get(self, timeout=TIMEOUT):
        with self.cond:
            if not self.cond.wait_for(lambda: self.items, timeout):
                raise AssertionError("nothing arrived in time")
            return self.items.pop(0)

    def empty_for(self, seconds):
        time.sleep(seconds)
        with self.cond:
            return not self.items


def client(**kwargs):
    return socketio.Client(reconnection=False, **kwargs)


class SocketIoTests(unittest.TestCase):
    server = None
    env = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(cls.env)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def run(self, result=None):
        outcome = super().run(result)
        if result is not None and (result.failures or result.errors) and self.server:
            last = (result.failures + result.errors)[-1][0]
            if last is self:
                print(f"\n--- conformance-server output ---\n{self.server.output()[-4000:]}")
        return outcome

    def connect(self, transports, namespaces=None, auth=None, **kwargs):
        sio = client(**kwargs)
        self.addCleanup(sio.disconnect)
        sio.connect(
            self.server.url,
            transports=transports,
            namespaces=namespaces or ["/"],
            auth=auth,
            wait_timeout=TIMEOUT,
        )
        return sio

    def refusal(self, transports, namespace, **kwargs):
        """What the server's CONNECT_ERROR said to a client that asked for `namespace`."""
        errors = Inbox()
        sio = client(**kwargs)
        sio.on("connect_error", errors.put, namespace=namespace)
        with self.assertRaises(socketio.exceptions.ConnectionError):
            sio.connect(
                self.server.url,
                transports=transports,
                namespaces=[namespace],
                wait_timeout=2,
            )
        sio.disconnect()
        return errors.get()

    def each_mode(self):
        for name, transports in MODES.items():
            with self.subTest(mode=name):
                yield name, transports

    def test_auth_comes_back_in_order_and_the_final_transport_is_right(self):
        for name, transports in self.each_mode():
            auth = Inbox()
            sio = client()
            self.addCleanup(sio.disconnect)
            sio.on("auth", auth.put)
            sio.connect(
                self.server.url,
                transports=transports,
                auth={"token": "abc", "n": 1, "nested": {"z": 1, "a": [1, 2]}},
                wait_timeout=TIMEOUT,
            )
            got = auth.get()
            self.assertEqual(
                list(got.items()), [("token", "abc"), ("n", 1), ("nested", {"z": 1, "a": [1, 2]})]
            )
            self.assertEqual(list(got["nested"]), ["z", "a"])
            self.assertEqual(len(sio.sid), 20)
            if name == "polling+upgrade":
                deadline = time.monotonic() + TIMEOUT
                while sio.transport() != "websocket" and time.monotonic() < deadline:
                    time.sleep(0.02)
            self.assertEqual(sio.transport(), transports[-1])

    def test_events_and_acks_keep_key_order_and_binary(self):
        payload = {"zeta": 1, "alpha": {"y": True, "b": None}, "mid": [3.5, "x"]}
        blob = bytes(range(256))
        for _, transports in self.each_mode():
            sio = self.connect(transports)
            back = Inbox()
            sio.on("message-back", lambda *args: back.put(args))
            sio.emit("message", (payload, blob, "text"))
            got = back.get()
            self.assertEqual(list(got[0]), ["zeta", "alpha", "mid"])
            self.assertEqual(list(got[0]["alpha"]), ["y", "b"])
            self.assertEqual(got, (payload, blob, "text"))
            acked = sio.call("message-with-ack", (payload, blob), timeout=TIMEOUT)
            self.assertEqual(acked, (payload, blob))
            self.assertEqual(list(acked[0]), ["zeta", "alpha", "mid"])
            self.assertEqual(sio.call("typed", {"n": 41}, timeout=TIMEOUT), {"n": 42})

    def test_the_server_asks_and_the_client_acks(self):
        for _, transports in self.each_mode():
            sio = self.connect(transports)
            sio.on("question", lambda *args: {"answer": list(args)})
            got = sio.call("server-ack", ("why", 7), timeout=TIMEOUT)
            self.assertEqual(got, {"answer": ["why", 7]})

    def test_rooms(self):
        for _, transports in self.each_mode():
            a = self.connect(transports)
            b = self.connect(transports)
            at_a, at_b = Inbox(), Inbox()
            a.on("room-message", lambda *args: at_a.put(args))
            b.on("room-message", lambda *args: at_b.put(args))
            self.assertEqual(b.call("join", "py-room", timeout=TIMEOUT), "py-room")
            a.emit("to-room", ("py-room", {"k": "v"}, b"\x00\x01"))
            self.assertEqual(at_b.get(), ({"k": "v"}, b"\x00\x01"))
            self.assertTrue(at_a.empty_for(0.2), "a is not in the room")

    def test_namespaces_and_their_refusals(self):
        for _, transports in self.each_mode():
            custom = Inbox()
            sio = client()
            self.addCleanup(sio.disconnect)
            sio.on("auth", custom.put, namespace="/custom")
            sio.connect(
                self.server.url,
                transports=transports,
                namespaces=["/", "/custom"],
                wait_timeout=TIMEOUT,
            )
            self.assertEqual(custom.get(), {})

            self.assertEqual(
                self.refusal(transports, "/private"),
                {"message": "Not authorized", "data": {"reason": "no token"}},
            )
            self.assertEqual(self.refusal(transports, "/nowhere"), {"message": "Invalid namespace"})

            dynamic = self.connect(transports, namespaces=["/dynamic-py"])
            self.assertEqual(dynamic.call("where", namespace="/dynamic-py", timeout=TIMEOUT), "/dynamic-py")

    def test_a_server_disconnect_says_so(self):
        for _, transports in self.each_mode():
            reasons = Inbox()
            sio = self.connect(transports)
            sio.on("disconnect", reasons.put)
            sio.emit("disconnect-me")
            self.assertEqual(reasons.get(), sio.reason.SERVER_DISCONNECT)

    def test_heartbeats_keep_the_session_alive(self):
        for _, transports in self.each_mode():
            reasons = Inbox()
            sio = self.connect(transports)
            sio.on("disconnect", reasons.put)
            # Several ping intervals: pings come and are answered.
            self.assertTrue(reasons.empty_for(5 * (PING_INTERVAL + PING_TIMEOUT) / 1000))
            self.assertTrue(sio.connected)
            self.assertEqual(sio.call("message-with-ack", "still", timeout=TIMEOUT), "still")

    def test_a_panicking_handler_leaves_the_connection_up(self):
        for _, transports in self.each_mode():
            sio = self.connect(transports)
            sio.emit("panic", "on purpose")
            self.assertEqual(sio.call("message-with-ack", 1, timeout=TIMEOUT), 1)


class MsgpackTests(SocketIoTests):
    """The same, with the msgpack parser on both sides (SIO_PARSER=msgpack)."""

    env = {"SIO_PARSER": "msgpack"}

    def connect(self, transports, namespaces=None, auth=None, **kwargs):
        return super().connect(transports, namespaces, auth, serializer="msgpack", **kwargs)

    def test_auth_comes_back_in_order_and_the_final_transport_is_right(self):
        for _, transports in self.each_mode():
            auth = Inbox()
            sio = client(serializer="msgpack")
            self.addCleanup(sio.disconnect)
            sio.on("auth", auth.put)
            sio.connect(
                self.server.url,
                transports=transports,
                auth={"token": "abc", "n": 1},
                wait_timeout=TIMEOUT,
            )
            self.assertEqual(list(auth.get().items()), [("token", "abc"), ("n", 1)])

    def test_namespaces_and_their_refusals(self):
        for _, transports in self.each_mode():
            self.assertEqual(
                self.refusal(transports, "/private", serializer="msgpack"),
                {"message": "Not authorized", "data": {"reason": "no token"}},
            )


if __name__ == "__main__":
    unittest.main()
