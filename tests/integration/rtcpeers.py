# SPDX-License-Identifier: MIT
"""Real WebRTC clients for the tests: aiortc and GStreamer webrtcbin, talking
WHIP/WHEP to meetgate. Every test using them runs in a loopback-only network
namespace (see netns_reexec)."""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import urllib.request


def netns_reexec():
    """Re-runs this script inside `unshare -n` with only lo up, once."""
    if os.environ.get("MG_NETNS") == "1":
        return
    env = dict(os.environ, MG_NETNS="1")
    cmd = "ip link set lo up && exec \"$0\" \"$@\""
    r = subprocess.run(["unshare", "-n", "sh", "-c", cmd, sys.executable, *sys.argv], env=env)
    sys.exit(r.returncode)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(secret, room, role="attendee", sub="tester", name="Tester", nbf=None, exp=None):
    now = int(time.time())
    claims = {"iss": "test", "sub": sub, "name": name, "room": room, "role": role,
              "nbf": now - 60 if nbf is None else nbf, "exp": now + 3600 if exp is None else exp}
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), (head + "." + body).encode(), hashlib.sha256).digest()
    return head + "." + body + "." + b64url(sig)


def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict((k.lower(), v) for k, v in r.headers.items()), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict((k.lower(), v) for k, v in e.headers.items()), e.read()


def whip_post(base, kind, room, token, sdp):
    return http("POST", "%s/%s/%s" % (base, kind, room), sdp.encode(),
                {"Content-Type": "application/sdp", "Authorization": "Bearer " + token})


def patch_aioice_loopback():
    """aiortc's ICE library skips 127.0.0.1 when gathering; in a lo-only
    namespace that leaves it nothing, so hand it loopback."""
    import aioice.ice
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []


def patch_aioice_nomination():
    """aioice 0.7 (aiortc's ICE) has a race, seen in about 0.3% of the churn
    cycles (docs/hardening.md): meetgate's binding request makes it start a
    triggered check on the pair it is already checking; when its first check
    succeeds it sends the nomination (meetgate is ICE-lite, so the client
    nominates in a second request), and if the triggered check's answer comes
    back before the nomination's, aioice finds every pair done and none
    nominated and declares ICE failed, a few ms before the nomination
    succeeds. aiortc then never starts DTLS. This makes it wait for the
    nomination in flight instead. Applied once; a client-side fix only."""
    import aioice.ice
    conn = aioice.ice.Connection
    if getattr(conn, "_mg_patched", False):
        return
    orig = conn.check_complete

    def check_complete(self, pair):
        if (pair.state == aioice.ice.CandidatePair.State.SUCCEEDED and not pair.nominated
                and self.ice_controlling and pair.component in self._nominating
                and pair.component not in self._nominated):
            pair.handle = None
            return  # the nomination request is still out: its answer completes the check
        return orig(self, pair)
    conn.check_complete = check_complete
    conn._mg_patched = True


class AiortcClient:
    """An aiortc peer that publishes (WHIP) or plays (WHEP) and counts what it decodes."""

    def __init__(self, base, room, token):
        patch_aioice_loopback()
        patch_aioice_nomination()
        from aiortc import RTCPeerConnection
        self.base, self.room, self.token = base, room, token
        self.pc = RTCPeerConnection()
        self.frames = {"audio": 0, "video": 0}
        self.first_frame_at = {}
        self.video_times = []  # monotonic time of each decoded video frame
        self.location = None
        self.tasks = []

    async def publish(self, video=True, audio=True):
        from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
        if audio:
            self.pc.addTrack(AudioStreamTrack())
        if video:
            self.pc.addTrack(VideoStreamTrack())
        return await self._negotiate("whip")

    async def play(self, video=True, audio=True):
        if audio:
            self.pc.addTransceiver("audio", direction="recvonly")
        if video:
            self.pc.addTransceiver("video", direction="recvonly")

        @self.pc.on("track")
        def on_track(track):
            self.tasks.append(asyncio.ensure_future(self._consume(track)))
        return await self._negotiate("whep")

    async def _consume(self, track):
        while True:
            try:
                await track.recv()
            except Exception:
                return
            self.frames[track.kind] += 1
            if track.kind == "video":
                self.video_times.append(time.monotonic())
            self.first_frame_at.setdefault(track.kind, time.time())

    async def _negotiate(self, kind):
        offer = await self.pc.createOffer()
        await self.pc.setLocalDescription(offer)
        loop = asyncio.get_event_loop()
        status, headers, body = await loop.run_in_executor(
            None, whip_post, self.base, kind, self.room, self.token, self.pc.localDescription.sdp)
        if status != 201:
            raise RuntimeError("%s answered %d: %s" % (kind, status, body.decode(errors="replace")))
        self.location = headers.get("location")
        from aiortc import RTCSessionDescription
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=body.decode(), type="answer"))
        return status

    async def wait_frames(self, kinds=("audio", "video"), count=10, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(self.frames[k] >= count for k in kinds):
                return True
            await asyncio.sleep(0.1)
        return False

    async def close(self):
        for t in self.tasks:
            t.cancel()
        await self.pc.close()


WEBRTCBIN_PUBLISHER = r'''
import sys, json, urllib.request
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import Gst, GstWebRTC, GstSdp, GLib

url, token, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
Gst.init(None)
pipe = Gst.parse_launch(
    "webrtcbin name=w bundle-policy=max-bundle "
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 ! "
    "vp8enc deadline=1 keyframe-max-dist=3000 ! rtpvp8pay pt=96 ! "
    "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! w. "
    "audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! opusenc ! rtpopuspay pt=111 ! "
    "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! w.")
w = pipe.get_by_name("w")
loop = GLib.MainLoop()
agent_ref = []

def on_gather(w, pspec):
    if w.get_property("ice-gathering-state") != GstWebRTC.WebRTCICEGatheringState.COMPLETE:
        return
    sdp = w.get_property("local-description").sdp.as_text()
    req = urllib.request.Request(url, data=sdp.encode(), method="POST",
                                 headers={"Content-Type": "application/sdp", "Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=10) as r:
        answer = r.read().decode()
    ok, msg = GstSdp.SDPMessage.new_from_text(answer)
    desc = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
    w.emit("set-remote-description", desc, None)
    print("published", flush=True)

offered = []

def on_offer(promise, _):
    reply = promise.get_reply()
    offer = reply.get_value("offer") if reply else None
    if offer is None:
        # 1.22 answers the first create-offer with NULL when negotiation-needed
        # fires before every pad is linked; the next signal brings a real one.
        print("no offer yet: %s" % (reply.to_string() if reply else None), file=sys.stderr, flush=True)
        return
    offered.append(offer)
    w.emit("set-local-description", offer, None)

def on_negotiation_needed(w):
    if not offered:
        w.emit("create-offer", None, Gst.Promise.new_with_change_func(on_offer, None))

agent = w.get_property("ice-agent")
agent_ref.append(agent)  # keep our own reference (1.22 returns it unowned)
agent.emit("add-local-ip-address", "127.0.0.1")  # GstWebRTCICE action signal
agent.set_property("ice-tcp", False)  # meetgate is UDP-only; TCP candidates are noise
w.connect("on-negotiation-needed", on_negotiation_needed)
w.connect("notify::ice-gathering-state", on_gather)
pipe.set_state(Gst.State.PLAYING)
GLib.timeout_add(int(seconds * 1000), loop.quit)
loop.run()
pipe.set_state(Gst.State.NULL)
'''


def start_webrtcbin_publisher(url, token, seconds):
    return subprocess.Popen(["/usr/bin/python3", "-c", WEBRTCBIN_PUBLISHER, url, token, str(seconds)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
