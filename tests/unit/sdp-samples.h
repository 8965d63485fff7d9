/* SPDX-License-Identifier: MIT
 * SDP offers as real peers write them (Chromium 12x, aiortc 1.4, GStreamer
 * webrtcbin 1.22, a WHEP player), for test-sdp.c. The fuzz corpus in
 * tests/fuzz/corpus/sdp/ holds the same texts. */
#pragma once

#define L(x) x "\r\n"
#define FP_CHROME                                                                                                      \
  "sha-256 5C:B6:9E:2F:0A:3D:41:77:C8:E2:19:6B:D4:8A:03:F1:62:9B:C0:7D:5E:11:A8:34:96:2C:EF:70:1B:D3:48:A5"
#define CHROME_TRANSPORT                                                                                               \
  L("c=IN IP4 0.0.0.0")                                                                                                \
  L("a=rtcp:9 IN IP4 0.0.0.0")                                                                                         \
  L("a=ice-ufrag:Ffpw")                                                                                                \
  L("a=ice-pwd:dZ3eBq3s2uJ1s7t3MeuSGXvw")                                                                              \
  L("a=ice-options:trickle")                                                                                           \
  L("a=fingerprint:" FP_CHROME)                                                                                        \
  L("a=setup:actpass")

#define CHROME_SESSION                                                                                                 \
  L("v=0")                                                                                                             \
  L("o=- 4215775240449105457 2 IN IP4 127.0.0.1")                                                                      \
  L("s=-")                                                                                                             \
  L("t=0 0")                                                                                                           \
  L("a=group:BUNDLE 0 1")                                                                                              \
  L("a=extmap-allow-mixed")                                                                                            \
  L("a=msid-semantic: WMS s1")

#define CHROME_AUDIO                                                                                                   \
  L("m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126")                                                             \
  CHROME_TRANSPORT                                                                                                     \
  L("a=mid:0")                                                                                                         \
  L("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level")                                                          \
  L("a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")                                           \
  L("a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01")                            \
  L("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid")                                                                  \
  L("a=sendonly")                                                                                                      \
  L("a=msid:s1 a1")                                                                                                    \
  L("a=rtcp-mux")                                                                                                      \
  L("a=rtcp-rsize")                                                                                                    \
  L("a=rtpmap:111 opus/48000/2")                                                                                       \
  L("a=rtcp-fb:111 transport-cc")                                                                                      \
  L("a=fmtp:111 minptime=10;useinbandfec=1")                                                                           \
  L("a=rtpmap:63 red/48000/2")                                                                                         \
  L("a=fmtp:63 111/111")                                                                                               \
  L("a=rtpmap:9 G722/8000")                                                                                            \
  L("a=rtpmap:0 PCMU/8000")                                                                                            \
  L("a=rtpmap:8 PCMA/8000")                                                                                            \
  L("a=rtpmap:13 CN/8000")                                                                                             \
  L("a=rtpmap:110 telephone-event/48000")                                                                              \
  L("a=rtpmap:126 telephone-event/8000")                                                                               \
  L("a=ssrc:1001 cname:Lx5pTz0cBhqXSjOa")                                                                              \
  L("a=ssrc:1001 msid:s1 a1")

#define CHROME_VIDEO_HEAD                                                                                              \
  CHROME_TRANSPORT                                                                                                     \
  L("a=mid:1")                                                                                                         \
  L("a=extmap:14 urn:ietf:params:rtp-hdrext:toffset")                                                                  \
  L("a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")                                           \
  L("a=extmap:13 urn:3gpp:video-orientation")                                                                          \
  L("a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01")                            \
  L("a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay")                                           \
  L("a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type")                                      \
  L("a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing")                                            \
  L("a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space")                                             \
  L("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid")                                                                  \
  L("a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id")                                                       \
  L("a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id")                                              \
  L("a=sendonly")                                                                                                      \
  L("a=msid:s1 v1")                                                                                                    \
  L("a=rtcp-mux")                                                                                                      \
  L("a=rtcp-rsize")

#define CHROME_FB(pt)                                                                                                  \
  L("a=rtcp-fb:" pt " goog-remb")                                                                                      \
  L("a=rtcp-fb:" pt " transport-cc")                                                                                   \
  L("a=rtcp-fb:" pt " ccm fir")                                                                                        \
  L("a=rtcp-fb:" pt " nack")                                                                                           \
  L("a=rtcp-fb:" pt " nack pli")
#define RTX(pt, apt) L("a=rtpmap:" pt " rtx/90000") L("a=fmtp:" pt " apt=" apt)

#define CHROME_VP8 L("a=rtpmap:96 VP8/90000") CHROME_FB("96") RTX("97", "96")
#define CHROME_VP9                                                                                                     \
  L("a=rtpmap:98 VP9/90000")                                                                                           \
  CHROME_FB("98")                                                                                                      \
  L("a=fmtp:98 profile-id=0")                                                                                          \
  RTX("99", "98") L("a=rtpmap:100 VP9/90000") CHROME_FB("100") L("a=fmtp:100 profile-id=2") RTX("101", "100")
#define CHROME_H264                                                                                                    \
  L("a=rtpmap:102 H264/90000")                                                                                         \
  CHROME_FB("102")                                                                                                     \
  L("a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f")                               \
  RTX("103", "102")                                                                                                    \
  L("a=rtpmap:104 H264/90000")                                                                                         \
  CHROME_FB("104")                                                                                                     \
  L("a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f")                               \
  RTX("105", "104")                                                                                                    \
  L("a=rtpmap:106 H264/90000")                                                                                         \
  CHROME_FB("106")                                                                                                     \
  L("a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f") RTX("107", "106")
#define CHROME_AV1 L("a=rtpmap:35 AV1/90000") CHROME_FB("35") RTX("36", "35")
#define CHROME_TAIL                                                                                                    \
  L("a=rtpmap:114 red/90000")                                                                                          \
  RTX("115", "114") L("a=rtpmap:116 ulpfec/90000")
#define CHROME_SSRCS                                                                                                   \
  L("a=ssrc-group:FID 2001 2002")                                                                                      \
  L("a=ssrc:2001 cname:Lx5pTz0cBhqXSjOa")                                                                              \
  L("a=ssrc:2001 msid:s1 v1")                                                                                          \
  L("a=ssrc:2002 cname:Lx5pTz0cBhqXSjOa")                                                                              \
  L("a=ssrc:2002 msid:s1 v1")

/* Chromium publishing a microphone and a camera (pc.addTrack, sendonly transceivers). */
static const char chrome_offer[] = CHROME_SESSION CHROME_AUDIO L(
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 102 103 104 105 106 107 35 36 114 115 116")
    CHROME_VIDEO_HEAD CHROME_VP8 CHROME_VP9 CHROME_H264 CHROME_AV1 CHROME_TAIL CHROME_SSRCS;

/* The same camera with VP8 and VP9 disabled by setCodecPreferences: AV1 first. */
static const char chrome_offer_h264[] =
    CHROME_SESSION CHROME_AUDIO L("m=video 9 UDP/TLS/RTP/SAVPF 35 36 102 103 104 105 106 107 114 115 116")
        CHROME_VIDEO_HEAD CHROME_AV1 CHROME_H264 CHROME_TAIL CHROME_SSRCS;

/* Simulcast with three encodings (sendEncodings with rids q, h, f). */
static const char chrome_offer_simulcast[] = CHROME_SESSION CHROME_AUDIO L(
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 102 103 104 105 106 107 35 36 114 115 116")
    CHROME_VIDEO_HEAD CHROME_VP8 CHROME_VP9 CHROME_H264 CHROME_AV1 CHROME_TAIL L("a=rid:q send") L("a=rid:h send")
        L("a=rid:f send") L("a=simulcast:send q;h;f");

/* Four encodings: more than we route. */
static const char chrome_offer_4rids[] =
    CHROME_SESSION CHROME_AUDIO L("m=video 9 UDP/TLS/RTP/SAVPF 96 97") CHROME_VIDEO_HEAD CHROME_VP8 L("a=rid:a send")
        L("a=rid:b send") L("a=rid:c send") L("a=rid:d send") L("a=simulcast:send a;b;c;d");

/* Chromium with a data channel: the SCTP m-line comes third. */
static const char chrome_offer_datachannel[] =
    L("v=0") L("o=- 4215775240449105457 2 IN IP4 127.0.0.1") L("s=-") L("t=0 0") L("a=group:BUNDLE 0 1 2")
        L("a=extmap-allow-mixed") L("a=msid-semantic: WMS s1") CHROME_AUDIO L("m=video 9 UDP/TLS/RTP/SAVPF 96 97")
            CHROME_VIDEO_HEAD CHROME_VP8 CHROME_SSRCS L("m=application 9 UDP/DTLS/SCTP webrtc-datachannel")
                L("c=IN IP4 0.0.0.0") L("a=ice-ufrag:Ffpw") L("a=ice-pwd:dZ3eBq3s2uJ1s7t3MeuSGXvw")
                    L("a=ice-options:trickle") L("a=fingerprint:" FP_CHROME) L("a=setup:actpass") L("a=mid:2")
                        L("a=sctp-port:5000") L("a=max-message-size:262144");

#define AIORTC_TRANSPORT(port)                                                                                         \
  L("a=candidate:7e5a1f5d0c1a2b3c4d5e6f708192a3b4 1 udp 2130706431 127.0.0.1 " port " typ host")                       \
  L("a=end-of-candidates")                                                                                             \
  L("a=ice-ufrag:Xq3T")                                                                                                \
  L("a=ice-pwd:Y7bRkz9cW2pF0hLmN4sD1aQe")                                                                              \
  L("a=fingerprint:sha-256 "                                                                                           \
    "1F:2E:3D:4C:5B:6A:79:88:97:A6:B5:C4:D3:E2:F1:00:0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:C3:D2:E1:F0")                 \
  L("a=setup:actpass")

/* aiortc 1.4 publishing (sendrecv, no bundle-only, candidates per m-line,
 * extmap id 2 = audio-level in audio but abs-send-time in video). */
static const char aiortc_offer[] = L("v=0") L("o=- 3870404513 3870404513 IN IP4 0.0.0.0") L("s=-") L("t=0 0") L(
    "a=group:BUNDLE 0 1") L("a=msid-semantic:WMS *") L("m=audio 51234 UDP/TLS/RTP/SAVPF 96 0 8") L("c=IN IP4 127.0.0.1")
    L("a=sendrecv") L("a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid") L(
        "a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level") L("a=mid:0")
        L("a=msid:4f1b5a8c-7c41-4a6e-9d0e-5f1c2b3a4d5e 0c2f9e1d-aa00-4b11-8c22-d33e44f55a66") L(
            "a=rtcp:9 IN IP4 0.0.0.0") L("a=rtcp-mux") L("a=ssrc:1234567 cname:5d1e3f2a-aiortc")
            L("a=rtpmap:96 opus/48000/2") L("a=rtpmap:0 PCMU/8000") L("a=rtpmap:8 PCMA/8000") AIORTC_TRANSPORT("51234")
                L("m=video 51236 UDP/TLS/RTP/SAVPF 97 98 99 100 101 102") L("c=IN IP4 127.0.0.1") L("a=sendrecv") L(
                    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid")
                    L("a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time") L("a=mid:1") L(
                        "a=msid:4f1b5a8c-7c41-4a6e-9d0e-5f1c2b3a4d5e 7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e")
                        L("a=rtcp:9 IN IP4 0.0.0.0") L("a=rtcp-mux") L("a=ssrc-group:FID 2222 3333") L(
                            "a=ssrc:2222 cname:5d1e3f2a-aiortc") L("a=ssrc:3333 cname:5d1e3f2a-aiortc")
                            L("a=rtpmap:97 VP8/90000") L("a=rtcp-fb:97 nack") L("a=rtcp-fb:97 nack pli") L(
                                "a=rtcp-fb:97 goog-remb") RTX("98", "97") L("a=rtpmap:99 H264/90000")
                                L("a=rtcp-fb:99 nack") L("a=rtcp-fb:99 nack pli") L("a=rtcp-fb:99 goog-remb") L(
                                    "a=fmtp:99 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f")
                                    RTX("100", "99") L("a=rtpmap:101 H264/90000") L("a=rtcp-fb:101 nack") L(
                                        "a=rtcp-fb:101 nack pli") L("a=rtcp-fb:101 goog-remb")
                                        L("a=fmtp:101 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id="
                                          "42e01f") RTX("102", "101") AIORTC_TRANSPORT("51236");

#define WEBRTCBIN_TRANSPORT                                                                                            \
  L("c=IN IP4 0.0.0.0")                                                                                                \
  L("a=setup:actpass")                                                                                                 \
  L("a=ice-ufrag:Bq5r0dJ1cM3kT8sVw2xYz4aF6gH7iJ9k")                                                                    \
  L("a=ice-pwd:mN0pQ1rS2tU3vW4xY5zA6bC7dE8fG9hI")                                                                      \
  L("a=rtcp-mux")                                                                                                      \
  L("a=rtcp-rsize")

/* GStreamer webrtcbin 1.22 (vp8enc ! rtpvp8pay, opusenc ! rtpopuspay). */
static const char webrtcbin_offer[] = L("v=0") L("o=- 1478893414906787335 0 IN IP4 0.0.0.0") L("s=-") L("t=0 0") L(
    "a=ice-options:trickle") L("a=group:BUNDLE video0 audio1") L("m=video 9 UDP/TLS/RTP/SAVPF 96")
    WEBRTCBIN_TRANSPORT L("a=sendrecv") L("a=rtpmap:96 VP8/90000") L("a=rtcp-fb:96 nack") L("a=rtcp-fb:96 nack pli") L(
        "a=framerate:30") L("a=ssrc:3484078950 msid:user1960436183@host-8b0d2a6f webrtctransceiver0")
        L("a=ssrc:3484078950 cname:user1960436183@host-8b0d2a6f") L("a=mid:video0") L(
            "a=fingerprint:sha-256 "
            "A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90")
            L("m=audio 9 UDP/TLS/RTP/SAVPF 97") WEBRTCBIN_TRANSPORT L("a=sendrecv") L("a=rtpmap:97 OPUS/48000/2") L(
                "a=rtcp-fb:97 nack") L("a=rtcp-fb:97 nack pli") L("a=fmtp:97 sprop-maxcapturerate=48000;sprop-stereo=0")
                L("a=ssrc:1234560001 msid:user1960436183@host-8b0d2a6f webrtctransceiver1")
                    L("a=ssrc:1234560001 cname:user1960436183@host-8b0d2a6f") L("a=mid:audio1")
                        L("a=fingerprint:sha-256 "
                          "A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:"
                          "8F:90");

/* A WHEP player (Chromium, two recvonly transceivers). */
static const char whep_offer[] = CHROME_SESSION L("m=audio 9 UDP/TLS/RTP/SAVPF 111 0") CHROME_TRANSPORT L("a=mid:0")
    L("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level")
        L("a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01")
            L("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid") L("a=recvonly") L("a=rtcp-mux") L("a=rtcp-rsize") L(
                "a=rtpmap:111 opus/48000/2") L("a=rtcp-fb:111 transport-cc") L("a=fmtp:111 minptime=10;useinbandfec=1")
                L("a=rtpmap:0 PCMU/8000") L("m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103") CHROME_TRANSPORT L("a=mid:1")
                    L("a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")
                        L("a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01")
                            L("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid") L("a=recvonly") L("a=rtcp-mux")
                                L("a=rtcp-rsize") CHROME_VP8 L("a=rtpmap:102 H264/90000") CHROME_FB("102") L(
                                    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")
                                    RTX("103", "102");

/* webrtcbin 1.22 with bundle-policy=max-bundle: the audio m-line is port 0 with
 * a=bundle-only (a live bundled m-line, not a rejected one). Captured as is. */
static const char webrtcbin_offer_max_bundle[] = L("v=0") L("o=- 4890265155553218297 0 IN IP4 0.0.0.0") L("s=-")
    L("t=0 0") L("a=ice-options:trickle") L("a=group:BUNDLE video0 audio1") L("m=video 9 UDP/TLS/RTP/SAVPF 96") L(
        "c=IN IP4 0.0.0.0") L("a=setup:actpass") L("a=ice-ufrag:DWOKUaMyBQBPTqs1mcis+6ZO5pj/u12N")
        L("a=ice-pwd:LuqGiMZJao7ZeZ5jFqxhmVo5lkz+i084") L("a=rtcp-mux") L("a=rtcp-rsize") L("a=sendrecv") L(
            "a=rtpmap:96 VP8/90000") L("a=rtcp-fb:96 nack pli") L("a=rtcp-fb:96 ccm fir") L("a=rtcp-fb:96 transport-cc")
            L("a=framerate:30") L("a=ssrc:372957888 msid:user1862374049@host-836dee06 webrtctransceiver0")
                L("a=ssrc:372957888 cname:user1862374049@host-836dee06") L("a=mid:video0") L(
                    "a=fingerprint:sha-256 "
                    "02:E1:6A:20:18:97:C4:36:E2:03:D1:33:20:67:EE:B1:B9:84:E0:BC:77:56:34:11:3A:BE:98:99:DF:BA:F5:10")
                    L("a=rtcp-mux-only") L("m=audio 0 UDP/TLS/RTP/SAVPF 97") L("c=IN IP4 0.0.0.0") L("a=setup:actpass")
                        L("a=ice-ufrag:DWOKUaMyBQBPTqs1mcis+6ZO5pj/u12N")
                            L("a=ice-pwd:LuqGiMZJao7ZeZ5jFqxhmVo5lkz+i084") L("a=bundle-only") L("a=rtcp-mux")
                                L("a=rtcp-rsize") L("a=sendrecv") L("a=rtpmap:97 OPUS/48000/2")
                                    L("a=rtcp-fb:97 transport-cc")
                                        L("a=fmtp:97 sprop-stereo=0;sprop-maxcapturerate=48000")
                                            L("a=ssrc:2740145677 msid:user1862374049@host-836dee06 webrtctransceiver1")
                                                L("a=ssrc:2740145677 cname:user1862374049@host-836dee06")
                                                    L("a=mid:audio1") L("a=fingerprint:sha-256 "
                                                                        "02:E1:6A:20:18:97:C4:36:E2:03:D1:33:20:67:EE:"
                                                                        "B1:B9:84:E0:BC:77:56:34:11:3A:BE:98:99:"
                                                                        "DF:BA:F5:10") L("a=rtcp-mux-only");
