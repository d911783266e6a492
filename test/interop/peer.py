"""An independent ZeroMQ peer for the interoperability tests: pyzmq over the system libzmq
(Debian's libzmq5, the library the Pharo server loads through uFFI), where zeromq.js bundles its
own. It is a TEST DOUBLE: as a server it answers ping and nothing else, and says it is not Pharo.

It authenticates as STUI does, with the keys of the STUI home ($STUI_HOME, else ~/.stui), read
with pyzmq's own zmq.auth.load_certificate (STUI writes CZMQ/pyzmq certificates), and as a
server it lets in the keys of the home's authorized_keys through pyzmq's own ZAP authenticator.

    python3 peer.py client ENDPOINT [stranger]  ping ENDPOINT from a REQ and a DEALER socket, print the
                                                replies; "stranger": with a fresh key nobody authorized
    python3 peer.py server ENDPOINT COUNT       bind a REP socket, print its endpoint, answer COUNT requests
"""
import json
import os
import sys

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

HOME = os.environ.get("STUI_HOME") or os.path.expanduser("~/.stui")


def authorized_keys():
    """The client keys of the home's authorized_keys: the first field of each line that is not a comment."""
    with open(os.path.join(HOME, "authorized_keys"), encoding="utf-8") as f:
        lines = [line.strip() for line in f]
    return {line.split()[0] for line in lines if line and not line.startswith("#")}


class AuthorizedKeys:
    """A pyzmq CURVE credentials provider: reads authorized_keys at each handshake."""

    def callback(self, domain, key):
        return key.decode("ascii") in authorized_keys()


def client_keys(stranger):
    public, secret = zmq.curve_keypair() if stranger else zmq.auth.load_certificate(os.path.join(HOME, "client.key_secret"))
    server_public, _ = zmq.auth.load_certificate(os.path.join(HOME, "server.key"))
    return public, secret, server_public


def client(endpoint, stranger):
    context = zmq.Context()
    public, secret, server_public = client_keys(stranger)
    replies = []
    for name, kind in (("req", zmq.REQ), ("dealer", zmq.DEALER)):
        socket = context.socket(kind)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.RCVTIMEO, 1000 if stranger else 5000)
        socket.curve_publickey = public
        socket.curve_secretkey = secret
        socket.curve_serverkey = server_public
        socket.connect(endpoint)
        request = {"jsonrpc": "2.0", "id": "py-" + name, "stui": "1.0", "method": "ping", "params": {"echo": "from " + name}}
        payload = json.dumps(request).encode("utf-8")
        try:
            if kind == zmq.REQ:
                socket.send(payload)
                frames = [socket.recv()]
            else:
                socket.send_multipart([b"", payload])
                frames = socket.recv_multipart()
        except zmq.Again:
            replies.append({"socket": name, "answered": False})
            socket.close()
            continue
        replies.append({"socket": name, "frames": len(frames), "reply": json.loads(frames[-1].decode("utf-8"))})
        socket.close()
    context.term()
    print(json.dumps(replies))


def server(endpoint, count):
    context = zmq.Context()
    authenticator = ThreadAuthenticator(context)
    authenticator.start()
    authenticator.configure_curve_callback("stui", credentials_provider=AuthorizedKeys())
    _, server_secret = zmq.auth.load_certificate(os.path.join(HOME, "server.key_secret"))
    socket = context.socket(zmq.REP)
    socket.setsockopt(zmq.LINGER, 0)
    socket.curve_server = True
    socket.curve_secretkey = server_secret
    socket.zap_domain = b"stui"
    socket.bind(endpoint)
    print(socket.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
    for _ in range(count):
        request = json.loads(socket.recv().decode("utf-8"))
        if request.get("method") == "ping":
            result = {
                "echo": request.get("params", {}).get("echo", ""),
                "status": "running",
                "uptimeMs": 0,
                "server": {"name": "python-peer", "version": zmq.zmq_version(), "implementation": "pyzmq test double (not Pharo)"},
                "protocolVersions": ["1.0"],
                "sessions": 0,
            }
            reply = {"jsonrpc": "2.0", "id": request["id"], "result": result}
        else:
            error = {"kind": "unknownMethod", "method": request.get("method", ""), "known": ["ping"]}
            reply = {"jsonrpc": "2.0", "id": request.get("id"), "error": {"code": -32601, "message": "this test double only answers ping", "data": error}}
        socket.send(json.dumps(reply).encode("utf-8"))
    socket.close()
    authenticator.stop()
    context.term()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "client":
        client(sys.argv[2], sys.argv[3:] == ["stranger"])
    elif len(sys.argv) >= 4 and sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
