// SPDX-License-Identifier: MIT
// The two RTCPeerConnections of docs/protocol.md: publish (we offer) and subscribe (the server
// offers). Signaling is done by the caller; these classes only produce and apply SDP.

import { tracksByMid } from './meeting-logic.js';

const PC_CONFIG = { bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' };

function iceHandler(name, onCandidate) {
  return (ev) => {
    const c = ev.candidate;
    // An empty candidate string is the end-of-candidates marker in some browsers.
    if (!c || !c.candidate) onCandidate(name, null, c ? c.sdpMid : null);
    else onCandidate(name, c.candidate, c.sdpMid);
  };
}

// Publish connection: one sendonly m-line per source (microphone, camera, screen).
export class Publisher {
  constructor({ onCandidate, onStateChange }) {
    this.pc = new RTCPeerConnection(PC_CONFIG);
    this.transceivers = new Map(); // source -> RTCRtpTransceiver
    this.pc.onicecandidate = iceHandler('publish', onCandidate);
    this.pc.onconnectionstatechange = () => onStateChange && onStateChange(this.pc.connectionState);
  }

  // track may be null (the source is off at join): the m-line is there, ready for replaceTrack.
  add(source, kind, track) {
    const tr = this.pc.addTransceiver(track || kind, { direction: 'sendonly', streams: [] });
    this.transceivers.set(source, tr);
    return tr;
  }

  has(source) {
    return this.transceivers.has(source);
  }

  async replaceTrack(source, track) {
    const tr = this.transceivers.get(source);
    if (tr) await tr.sender.replaceTrack(track || null);
  }

  // Stops sending a source; its m-line goes to port 0 in the next offer.
  remove(source) {
    const tr = this.transceivers.get(source);
    if (!tr) return;
    this.transceivers.delete(source);
    try {
      tr.stop();
    } catch {
      tr.direction = 'inactive';
    }
  }

  // Creates and applies a new offer. Returns { sdp, tracks } for the `publish` message.
  async offer() {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    const tracks = [];
    for (const [source, tr] of this.transceivers) {
      if (tr.mid != null) tracks.push({ mid: tr.mid, source });
    }
    return { sdp: this.pc.localDescription.sdp, tracks };
  }

  async answer(sdp) {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  async addRemoteCandidate(candidate, mid) {
    await addCandidate(this.pc, candidate, mid);
  }

  close() {
    this.pc.onicecandidate = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
  }
}

async function addCandidate(pc, candidate, mid) {
  if (!candidate) {
    await pc.addIceCandidate(null).catch(() => {});
    return;
  }
  await pc.addIceCandidate({ candidate, sdpMid: mid != null ? String(mid) : '0' });
}

// Subscribe connection: the server offers; every offer lists which mid carries which
// participant's track. We answer, then report the receiving tracks mid by mid.
export class Subscriber {
  constructor({ onCandidate, onStateChange }) {
    this.pc = new RTCPeerConnection(PC_CONFIG);
    this.pc.onicecandidate = iceHandler('subscribe', onCandidate);
    this.pc.onconnectionstatechange = () => onStateChange && onStateChange(this.pc.connectionState);
  }

  // Returns { sdp, received: [{ mid, participant, track (id), kind, source, media: MediaStreamTrack }] }
  async handleOffer(sdp, tracks) {
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    const byMid = tracksByMid(tracks);
    const received = [];
    for (const tr of this.pc.getTransceivers()) {
      if (tr.mid == null) continue;
      if (tr.stopped || tr.currentDirection === 'stopped' || tr.currentDirection === 'inactive') continue;
      const info = byMid.get(String(tr.mid));
      if (!info) continue;
      received.push({
        mid: String(tr.mid),
        participant: String(info.participant),
        track: info.track != null ? String(info.track) : '',
        kind: info.kind || tr.receiver.track.kind,
        source: info.source || (tr.receiver.track.kind === 'audio' ? 'microphone' : 'camera'),
        media: tr.receiver.track,
      });
    }
    return { sdp: this.pc.localDescription.sdp, received };
  }

  async addRemoteCandidate(candidate, mid) {
    await addCandidate(this.pc, candidate, mid);
  }

  close() {
    this.pc.onicecandidate = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
  }
}
