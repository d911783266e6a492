"""An independent ZeroMQ peer for the interoperability tests: pyzmq over the system libzmq
(Debian's libzmq5, the library the Pharo server loads through uFFI), where zeromq.js bundles its
own. It is a TEST DOUBLE: as a server it answers ping and nothing else, and says it is not Pharo.

    python3 peer.py client ENDPOINT        ping ENDPOINT from a REQ and a DEALER socket, print the replies
    python3 peer.py server ENDPOINT COUNT  bind a REP socket, print its endpoint, answer COUNT requests
"""
import json
import sys

import zmq


def client(endpoint):
    context = zmq.Context()
    replies = []
    for name, kind in (("req", zmq.REQ), ("dealer", zmq.DEALER)):
        socket = context.socket(kind)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.RCVTIMEO, 5000)
        socket.connect(endpoint)
        request = {"jsonrpc": "2.0", "id": "py-" + name, "stui": "1.0", "method": "ping", "params": {"echo": "from " + name}}
        payload = json.dumps(request).encode("utf-8")
        if kind == zmq.REQ:
            socket.send(payload)
            frames = [socket.recv()]
        else:
            socket.send_multipart([b"", payload])
            frames = socket.recv_multipart()
        replies.append({"socket": name, "frames": len(frames), "reply": json.loads(frames[-1].decode("utf-8"))})
        socket.close()
    context.term()
    print(json.dumps(replies))


def server(endpoint, count):
    context = zmq.Context()
    socket = context.socket(zmq.REP)
    socket.setsockopt(zmq.LINGER, 0)
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
    context.term()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "client":
        client(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
