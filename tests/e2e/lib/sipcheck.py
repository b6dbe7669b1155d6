#!/usr/bin/env python3
"""Small SIP helpers for the e2e harness (standard library only).

  sipcheck.py probe --target 127.0.0.1:PORT --aor sip:alice@example.com \
          [--user U] [--password P] [--expires S] [--timeout S]
      A minimal RFC 3261 registration client over UDP, used to prove the SIPp
      scenarios and the Kamailio setup behave as designed before sipreg exists.
      It is also the reference for the behaviour the sipreg tests expect:
      one Call-ID, CSeq +1 per request, digest MD5/SHA-256 with qop=auth,
      give up when fresh credentials are rejected again, 423 -> adopt
      Min-Expires, 503 -> wait Retry-After, 200 with Via received/rport that
      differ from the Contact -> re-register with the public address.
      Prints one line per step: SENT / GOT / PUBLIC / RETRY / OK / GIVEUP / TIMEOUT.
      Exit 0 when registered, 1 otherwise.

  sipcheck.py events FILE [--event NAME] [--field KEY] [--tool TOOL]
      Check that every line of FILE (- = stdin) is a v1 event object
      ({"v":1,"ts":"...","event":"...",...}; exit 1 and a note on stderr for
      each line that is not) and print the events named NAME (or all), or just
      their KEY values.

  sipcheck.py check-digest TRACE PASSWORD
      Recompute the digest response of every REGISTER with an Authorization
      header in a SIPp -trace_msg file (requests SIPp received) and print
      "ok USER ALGORITHM" or "BAD ..." per request. Exit 0 only if there was at
      least one and all were right. (SIPp 3.6 cannot verify SHA-256 itself.)
"""
import argparse
import hashlib
import os
import re
import socket
import sys
import time

HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def digest_response(alg, user, realm, password, method, uri, nonce, qop=None, nc=None, cnonce=None):
    h = lambda s: HASHES[alg](s.encode()).hexdigest()  # noqa: E731
    ha1 = h(f"{user}:{realm}:{password}")
    ha2 = h(f"{method}:{uri}")
    if qop:
        return h(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return h(f"{ha1}:{nonce}:{ha2}")


def parse_params(value):
    """Digest k=v, k="v" list -> dict (keys lower-case)."""
    value = re.sub(r"^\s*Digest\s+", "", value, flags=re.I)
    out = {}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("([^"]*)"|[^,\s]+)', value):
        out[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return out


def parse_message(data):
    head = data.split("\r\n\r\n", 1)[0].replace("\r\n", "\n")
    lines = head.split("\n")
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
        elif ":" in line:
            k, v = line.split(":", 1)
            headers.append((k.strip().lower(), v.strip()))
    return lines[0], headers


def header(headers, name):
    for k, v in headers:
        if k == name:
            return v
    return None


# ---------------------------------------------------------------- probe

def probe(a):
    host, port = a.target.rsplit(":", 1)
    host = host.strip("[]")
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(fam, socket.SOCK_DGRAM)
    sock.bind((host if host in ("127.0.0.1", "::1") else "", 0))
    lhost, lport = sock.getsockname()[:2]
    m = re.match(r"sips?:([^@]+)@([^;>]+)", a.aor)
    aor_user, aor_dom = m.group(1), m.group(2)
    user = a.user or aor_user
    call_id = f"probe-{os.getpid()}-{int(time.time() * 1000)}@{lhost}"
    tag = f"t{os.getpid()}"
    cseq = 0
    expires = a.expires
    contact_host, contact_port = lhost, lport
    auth = None            # (header-name, value) to send
    answered_nonce = None  # nonce of the challenge our last credentials answered
    corrected = False
    rounds_423 = rounds_503 = 0
    reg_uri = f"sip:{aor_dom}"

    for _ in range(a.max_steps):
        cseq += 1
        branch = f"z9hG4bK{os.getpid()}x{cseq}x{int(time.time() * 1e6) % 1000000}"
        chost = f"[{contact_host}]" if ":" in contact_host else contact_host
        contact = f"<sip:{aor_user}@{chost}:{contact_port}>"
        vhost = f"[{lhost}]" if ":" in lhost else lhost
        msg = [
            f"REGISTER {reg_uri} SIP/2.0",
            f"Via: SIP/2.0/UDP {vhost}:{lport};branch={branch};rport",
            "Max-Forwards: 70",
            f"From: <{a.aor}>;tag={tag}",
            f"To: <{a.aor}>",
            f"Call-ID: {call_id}",
            f"CSeq: {cseq} REGISTER",
            f"Contact: {contact}",
            f"Expires: {expires}",
        ]
        if auth:
            msg.append(f"{auth[0]}: {auth[1]}")
        msg += ["User-Agent: sipwake-e2e-probe", "Content-Length: 0", "", ""]
        sock.sendto("\r\n".join(msg).encode(), (host, int(port)))
        alg = re.search(r"algorithm=([A-Za-z0-9-]+)", auth[1]).group(1) if auth else "none"
        print(f"SENT cseq={cseq} expires={expires} auth={alg} contact={contact}", flush=True)
        sent_auth, auth = auth, None

        deadline = time.monotonic() + a.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                print("TIMEOUT no final response", flush=True)
                return 1
            sock.settimeout(left)
            try:
                data = sock.recv(65535).decode(errors="replace")
            except socket.timeout:
                continue
            first, hdrs = parse_message(data)
            cs = header(hdrs, "cseq") or ""
            if not first.startswith("SIP/2.0") or not cs.startswith(f"{cseq} "):
                continue
            code = int(first.split()[1])
            if code >= 200:
                break
        print(f"GOT {first[8:]}", flush=True)

        if code in (401, 407):
            hname = "www-authenticate" if code == 401 else "proxy-authenticate"
            ch = parse_params(header(hdrs, hname) or "")
            stale = ch.get("stale", "").lower() == "true"
            if sent_auth and not stale:
                print("GIVEUP credentials rejected", flush=True)
                return 1
            if answered_nonce == ch.get("nonce"):
                print("GIVEUP same challenge again", flush=True)
                return 1
            alg = ch.get("algorithm", "MD5").upper()
            if a.force_algorithm:  # to prove a server rejects the wrong one
                alg = a.force_algorithm
            if alg not in HASHES:
                print(f"GIVEUP algorithm {alg}", flush=True)
                return 1
            qop = "auth" if "auth" in [q.strip() for q in ch.get("qop", "").split(",")] else None
            nc, cnonce = "00000001", f"{os.getpid():x}{cseq:x}"
            resp = digest_response(alg, user, ch["realm"], a.password, "REGISTER", reg_uri,
                                   ch["nonce"], qop, nc, cnonce)
            val = (f'Digest username="{user}", realm="{ch["realm"]}", nonce="{ch["nonce"]}", '
                   f'uri="{reg_uri}", response="{resp}", algorithm={alg}')
            if qop:
                val += f', qop={qop}, nc={nc}, cnonce="{cnonce}"'
            if "opaque" in ch:
                val += f', opaque="{ch["opaque"]}"'
            auth = ("Authorization" if code == 401 else "Proxy-Authorization", val)
            answered_nonce = ch["nonce"]
            continue
        if code == 423:
            rounds_423 += 1
            me = header(hdrs, "min-expires")
            if rounds_423 > 1 or not me:
                print("GIVEUP 423 again", flush=True)
                return 1
            expires = int(me)
            continue
        if code == 503:
            rounds_503 += 1
            ra = header(hdrs, "retry-after")
            if rounds_503 > 3 or ra is None:
                print("GIVEUP 503", flush=True)
                return 1
            in_ms = int(ra.split()[0]) * 1000
            print(f"RETRY in_ms={in_ms}", flush=True)
            time.sleep(in_ms / 1000)
            continue
        if 200 <= code < 300:
            via = header(hdrs, "via") or ""
            rec = re.search(r";received=([^;,\s]+)", via)
            rp = re.search(r";rport=(\d+)", via)
            pub_host = rec.group(1) if rec else contact_host
            pub_port = int(rp.group(1)) if rp else contact_port
            if (pub_host, pub_port) != (contact_host, contact_port) and not corrected:
                print(f"PUBLIC {pub_host}:{pub_port}", flush=True)
                contact_host, contact_port, corrected = pub_host, pub_port, True
                continue
            granted = expires
            ct = header(hdrs, "contact") or ""
            me = re.search(r";\s*expires=(\d+)", ct)
            if me:
                granted = int(me.group(1))
            elif header(hdrs, "expires"):
                granted = int(header(hdrs, "expires"))
            print(f"OK expires={granted} contact={contact}", flush=True)
            return 0
        print(f"GIVEUP status {code}", flush=True)
        return 1
    print("GIVEUP too many steps", flush=True)
    return 1


# ---------------------------------------------------------------- check-digest

def received_messages(trace):
    """Yield the text of each message SIPp logged as received."""
    text = open(trace, encoding="utf-8", errors="replace").read()
    blocks = re.split(r"\n-{10,}[^\n]*\n", "\n" + text)
    for b in blocks:
        m = re.match(r"\s*\w+ message received \[\d+\] bytes :\s*\n\n?", b)
        if m:
            yield b[m.end():].replace("\n", "\r\n")


def check_digest(trace, password):
    n = bad = 0
    for msg in received_messages(trace):
        first, hdrs = parse_message(msg)
        if not first.startswith("REGISTER "):
            continue
        val = header(hdrs, "authorization")
        if not val:
            continue
        p = parse_params(val)
        n += 1
        alg = p.get("algorithm", "MD5").upper()
        if alg not in HASHES:
            print(f"BAD unsupported algorithm {alg}")
            bad += 1
            continue
        want = digest_response(alg, p.get("username", ""), p.get("realm", ""), password,
                               "REGISTER", p.get("uri", ""), p.get("nonce", ""),
                               p.get("qop"), p.get("nc"), p.get("cnonce"))
        if want == p.get("response", "").lower():
            print(f"ok {p.get('username')} {alg}")
        else:
            print(f"BAD {p.get('username')} {alg} response={p.get('response')} want={want}")
            bad += 1
    if n == 0:
        print("BAD no REGISTER with Authorization in trace")
        return 1
    return 1 if bad else 0


# ---------------------------------------------------------------- events

def events(path, event=None, field=None, tool=None):
    """Validate a JSON Lines event stream and print the selected events."""
    import json
    src = sys.stdin if path == "-" else open(path, encoding="utf-8", errors="replace")
    bad = 0
    for n, line in enumerate(src, 1):
        line = line.strip()
        if not line:
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            print(f"BAD line {n}: not JSON: {line[:120]}", file=sys.stderr)
            bad += 1
            continue
        if not (isinstance(ev, dict) and ev.get("v") == 1 and isinstance(ev.get("ts"), str)
                and isinstance(ev.get("event"), str) and (tool is None or ev.get("tool") == tool)):
            print(f"BAD line {n}: not a v1 event: {line[:120]}", file=sys.stderr)
            bad += 1
            continue
        if event and ev["event"] != event:
            continue
        if field:
            val = ev.get(field)
            if val is not None:
                print(json.dumps(val) if isinstance(val, (dict, list)) else val)
        else:
            print(json.dumps(ev, separators=(",", ":")))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("probe")
    p.add_argument("--target", required=True)
    p.add_argument("--aor", required=True)
    p.add_argument("--user")
    p.add_argument("--password", default="")
    p.add_argument("--expires", type=int, default=60)
    p.add_argument("--timeout", type=float, default=3.0)
    p.add_argument("--max-steps", type=int, default=8)
    p.add_argument("--force-algorithm", choices=sorted(HASHES),
                   help="answer any challenge with this algorithm")
    c = sub.add_parser("check-digest")
    c.add_argument("trace")
    c.add_argument("password")
    e = sub.add_parser("events")
    e.add_argument("file", help="JSON Lines file, - for stdin")
    e.add_argument("--event")
    e.add_argument("--field")
    e.add_argument("--tool")
    a = ap.parse_args()
    if a.cmd == "probe":
        return probe(a)
    if a.cmd == "events":
        return events(a.file, a.event, a.field, a.tool)
    return check_digest(a.trace, a.password)


if __name__ == "__main__":
    sys.exit(main())
