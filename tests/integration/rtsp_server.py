#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A test RTSP camera on 127.0.0.1: Debian's gst-rtsp-server (python3-gi,
gir1.2-gst-rtsp-server-1.0) serving a test pattern (H.264, as cameras send;
VP8 without gstreamer1.0-plugins-ugly) and a tone (Opus) at
rtsp://127.0.0.1:<port>/cam. Run as a process (Camera below) so that a test
can kill it, like a camera that reboots, and start it again on the same port.

usage: rtsp_server.py <port>"""
import os
import socket
import subprocess
import sys


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Camera:
    """The RTSP server as a process: start, kill, start again on one port."""

    def __init__(self, user=None, password=None):
        self.port = free_port()
        self.proc = None
        self.credentials = "%s:%s@" % (user, password) if user else ""

    def start(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", os.path.abspath(__file__), str(self.port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if line.strip() != b"ready":
            err = self.proc.stderr.read().decode()
            self.kill()
            raise RuntimeError("the RTSP server did not start: %s" % err)

    def kill(self):
        if self.proc:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self.proc.stderr.close()
            self.proc = None

    @property
    def url(self):
        return "rtsp://%s127.0.0.1:%d/cam" % (self.credentials, self.port)


def serve(port):
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    if Gst.ElementFactory.find("x264enc"):
        video = ("x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=600 "
                 "! rtph264pay name=pay0 pt=96 config-interval=1")
    else:
        video = "vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay name=pay0 pt=96"
    launch = ("( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 ! %s "
              "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample ! opusenc "
              "! rtpopuspay name=pay1 pt=97 )" % video)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(True)
    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        sys.exit("cannot listen on 127.0.0.1:%s" % port)
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    serve(sys.argv[1])
