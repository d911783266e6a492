"""The libzmq facts the Pharo server's authentication (STUIAuthenticator, STUIServer>>secure:)
relies on, checked on the system libzmq — the library the Pharo binding loads through uFFI —
by replaying its socket choreography with pyzmq, polling without blocking as the Pharo loop
does. No Pharo runs here: this proves the library behaves as the Smalltalk code assumes.

    python3 zap-facts.py    prints one JSON object of facts
"""
import json
import time

import zmq
from zmq.utils import z85

ZMQ_ZAP_ENFORCE_DOMAIN = 93
FAILURES = zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH


def main():
    facts = {}
    context = zmq.Context()
    server_public, server_secret = zmq.curve_keypair()
    client_public, client_secret = zmq.curve_keypair()
    facts["curvePublicMatches"] = zmq.curve_public(server_secret) == server_public

    # STUIAuthenticator>>start: a ROUTER on the ZAP endpoint, and a PAIR for the monitor.
    zap = context.socket(zmq.ROUTER)
    zap.setsockopt(zmq.LINGER, 0)
    zap.bind("inproc://zeromq.zap.01")
    events = context.socket(zmq.PAIR)
    events.setsockopt(zmq.LINGER, 0)

    # STUIServer>>secure: then bind, as STUIZmqSocket sets them: keys as 40 bytes, no NUL.
    router = context.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    router.setsockopt(zmq.CURVE_SERVER, 1)
    router.setsockopt(zmq.CURVE_SECRETKEY, server_secret)  # 40 bytes of Z85
    router.setsockopt(zmq.ZAP_DOMAIN, b"stui")
    try:
        router.setsockopt(ZMQ_ZAP_ENFORCE_DOMAIN, 1)
        facts["enforceDomainAccepted"] = True
    except zmq.ZMQError:
        facts["enforceDomainAccepted"] = False
    router.monitor("inproc://stui-handshake-events", FAILURES)
    events.connect("inproc://stui-handshake-events")
    router.bind("tcp://127.0.0.1:*")
    endpoint = router.getsockopt_string(zmq.LAST_ENDPOINT)

    zap_requests = []
    event_frames = []
    replies = {}

    def client(name, public, secret, server_key):
        socket = context.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        if public:
            socket.curve_publickey, socket.curve_secretkey, socket.curve_serverkey = public, secret, server_key
        socket.connect(endpoint)
        socket.send_multipart([b"", name.encode()])
        return socket

    clients = {
        "authorized": client("authorized", client_public, client_secret, server_public),
        "stranger": client("stranger", *zmq.curve_keypair(), server_public),
        "nokey": client("nokey", None, None, None),
    }

    # STUIServerLoop>>step: serveAuthentication, then the server socket, never blocking.
    deadline = time.time() + 3
    while time.time() < deadline:
        try:
            request = zap.recv_multipart(zmq.NOBLOCK)
            delimiter = request.index(b"")
            body = request[delimiter + 1:]
            zap_requests.append({"frames": len(body), "version": body[0].decode(), "domain": body[2].decode(), "mechanism": body[5].decode(), "keyBytes": len(body[6])})
            allowed = len(body) == 7 and body[5] == b"CURVE" and z85.encode(body[6]) == client_public
            zap.send_multipart(request[: delimiter + 1] + [b"1.0", body[1], b"200" if allowed else b"400", b"OK" if allowed else b"no", b"", b""])
        except zmq.Again:
            pass
        try:
            event_frames.append([len(f) for f in events.recv_multipart(zmq.NOBLOCK)])
        except zmq.Again:
            pass
        try:
            identity, empty, payload = router.recv_multipart(zmq.NOBLOCK)
            router.send_multipart([identity, empty, b"reply to " + payload])
        except zmq.Again:
            pass
        for name, socket in clients.items():
            try:
                replies[name] = socket.recv_multipart(zmq.NOBLOCK)[-1].decode()
            except zmq.Again:
                pass
        time.sleep(0.001)

    facts["replies"] = replies
    facts["zapRequests"] = zap_requests
    facts["events"] = event_frames
    for socket in [*clients.values(), router, zap, events]:
        socket.close()

    # With the domain enforced and no ZAP handler bound, nobody gets in (instead of everybody).
    lonely = context.socket(zmq.ROUTER)
    lonely.setsockopt(zmq.LINGER, 0)
    lonely.setsockopt(zmq.CURVE_SERVER, 1)
    lonely.setsockopt(zmq.CURVE_SECRETKEY, server_secret)
    lonely.setsockopt(zmq.ZAP_DOMAIN, b"stui")
    lonely.setsockopt(ZMQ_ZAP_ENFORCE_DOMAIN, 1)
    lonely.bind("tcp://127.0.0.1:*")
    probe = context.socket(zmq.DEALER)
    probe.setsockopt(zmq.LINGER, 0)
    probe.curve_publickey, probe.curve_secretkey, probe.curve_serverkey = client_public, client_secret, server_public
    probe.connect(lonely.getsockopt_string(zmq.LAST_ENDPOINT))
    probe.send_multipart([b"", b"anyone?"])
    lonely.setsockopt(zmq.RCVTIMEO, 500)
    try:
        lonely.recv_multipart()
        facts["withoutHandlerLetIn"] = True
    except zmq.Again:
        facts["withoutHandlerLetIn"] = False
    probe.close()
    lonely.close()
    context.term()
    print(json.dumps(facts))


if __name__ == "__main__":
    main()
