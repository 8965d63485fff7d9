#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A test RTSP camera on 127.0.0.1: Debian's gst-rtsp-server (python3-gi,
gir1.2-gst-rtsp-server-1.0) serving a test pattern (H.264, as cameras send)
and a tone (Opus) at rtsp://127.0.0.1:<port>/cam. Run as a process so a test
can kill it (a camera that reboots) and start it again on the same port."""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

port = sys.argv[1]
Gst.init(None)
if Gst.ElementFactory.find("x264enc"):
    video = ("x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=600 "
             "! rtph264pay name=pay0 pt=96 config-interval=1")
else:  # without gstreamer1.0-plugins-ugly
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
