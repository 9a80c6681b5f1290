#!/usr/bin/python3
"""Run-and-remove cycles of real containers through the Docker engine's API, watching a bridge's MAC.

    docker_churn.py BRIDGE N [IMAGE]

Each cycle does what `docker run -d IMAGE sleep 600` and `docker rm -f` do, as the docker CLI sends it
(POST /containers/create, POST /containers/ID/start, DELETE /containers/ID?force=1, over
/run/docker.sock): the engine creates the container's veth pair, puts the host end into the bridge of the
default network (daemon.json "bridge"), starts the container, then kills it and takes the veth out again.
The bridge's MAC is read before, while the container runs, and after each cycle. One process for all
cycles: under software emulation every start of the docker CLI (a Go binary) costs about 2 s of CPU.
Prints JSON: the MACs seen, samples, seconds, and the MACs the container host veths had.
"""
import json
import socket
import sys
import time

SOCK = "/run/docker.sock"


def call(method, path, body=None):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(120)
    sock.connect(SOCK)
    data = json.dumps(body).encode() if body is not None else b""
    head = "%s %s HTTP/1.0\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (
        method, path, len(data))
    sock.sendall(head.encode() + data)
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
    sock.close()
    raw = b"".join(chunks)
    head, _sep, payload = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if status >= 300:
        raise SystemExit("docker_churn: %s %s -> %d %s" % (method, path, status, payload[:300]))
    return json.loads(payload) if payload.strip() else None


def mac(name):
    with open("/sys/class/net/%s/address" % name) as handle:
        return handle.read().strip()


def host_veth_of(bridge, before):
    import os
    now = set(os.listdir("/sys/class/net/%s/brif" % bridge))
    return sorted(now - before)


def main():
    bridge, cycles, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    target = sys.argv[4] if len(sys.argv) > 4 else "lab/busybox:latest"
    image = target
    import os
    ports_before = set(os.listdir("/sys/class/net/%s/brif" % bridge))
    if mode == "reconnect":
        # The container's own veth is what comes and goes: every other port of the bridge stays.
        call("POST", "/networks/bridge/disconnect", {"Container": target, "Force": True})
        ports_before = set(os.listdir("/sys/class/net/%s/brif" % bridge))
        call("POST", "/networks/bridge/connect", {"Container": target})
    seen = [mac(bridge)]
    veth_macs = set()
    started = time.monotonic()
    for i in range(cycles):
        if mode == "reconnect":
            # `docker network disconnect bridge C` / `docker network connect bridge C` of a running container
            call("POST", "/networks/bridge/disconnect", {"Container": target, "Force": True})
            seen.append(mac(bridge))
            call("POST", "/networks/bridge/connect", {"Container": target})
            seen.append(mac(bridge))
            for veth in host_veth_of(bridge, ports_before):
                try:
                    veth_macs.add(mac(veth))
                except OSError:
                    pass
            continue
        cid = call("POST", "/containers/create?name=hostnet-churn-%d" % i,
                   {"Image": image, "Cmd": ["sleep", "600"], "HostConfig": {"NetworkMode": "default"}})["Id"]
        call("POST", "/containers/%s/start" % cid)
        seen.append(mac(bridge))
        for veth in host_veth_of(bridge, ports_before):
            try:
                veth_macs.add(mac(veth))
            except OSError:
                pass
        call("DELETE", "/containers/%s?force=1" % cid)
        seen.append(mac(bridge))
        print("cycle %d at %.1f s: %s" % (i + 1, time.monotonic() - started, " ".join(seen[-2:])),
              file=sys.stderr, flush=True)
    print(json.dumps({"bridge": bridge, "cycles": cycles, "macs": sorted(set(seen)), "samples": len(seen),
                      "seconds": round(time.monotonic() - started, 1),
                      "lowest_container_veth_mac": min(veth_macs) if veth_macs else None}))


if __name__ == "__main__":
    main()
