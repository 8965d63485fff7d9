// SPDX-License-Identifier: MIT
// Shared by whip.html and whep.html: query parameters, the WHIP/WHEP POST,
// and a summary of RTCPeerConnection.getStats() for the Python side.
'use strict';

const params = new URLSearchParams(location.search);
const log = [];
function note(msg) {
  const line = (performance.now() / 1000).toFixed(3) + ' ' + msg;
  log.push(line);
  console.log(line);
  const el = document.getElementById('log');
  if (el) el.textContent = log.slice(-12).join('\n');
}

// Waits for ICE gathering to complete (or timeoutMs, then goes with what it has).
function gatheringComplete(pc, timeoutMs) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve(true);
  return new Promise(resolve => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });
}

// POSTs the local offer to meetgate; sets the answer. Returns the HTTP outcome
// (status, error code, Location) whether it worked or not.
async function exchange(pc, kind) {
  const url = params.get('mg') + '/' + kind + '/' + encodeURIComponent(params.get('room'));
  const complete = await gatheringComplete(pc, 5000);
  note('gathering ' + (complete ? 'complete' : 'timed out') + ', POST ' + url);
  const http = {url, postedAt: performance.now()};
  let res;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {'Content-Type': 'application/sdp', 'Authorization': 'Bearer ' + params.get('token')},
      body: pc.localDescription.sdp,
    });
  } catch (e) {
    http.status = 0;
    http.error = 'fetch failed: ' + e;
    note(http.error);
    return http;
  }
  http.status = res.status;
  http.answeredMs = performance.now() - http.postedAt;
  http.location = res.headers.get('Location');
  const body = await res.text();
  note('HTTP ' + res.status + ' in ' + http.answeredMs.toFixed(0) + ' ms');
  if (res.status !== 201) {
    http.body = body;
    try {
      http.errorCode = JSON.parse(body).error.code;
    } catch (e) {
      http.errorCode = null;
    }
    return http;
  }
  http.answer = body;
  let sdp = body;
  // Diagnosis switch: without transport-cc in the answer Chromium's
  // bandwidth estimate follows meetgate's REMB instead of transport feedback.
  if (params.get('answer_without_twcc') === '1')
    sdp = sdp.split('\r\n').filter(l => !/transport-cc|transport-wide-cc/.test(l)).join('\r\n');
  await pc.setRemoteDescription({type: 'answer', sdp});
  return http;
}

// DELETEs the session's Location; returns the HTTP status (null without one).
async function deleteSession(pc, http) {
  let status = null;
  if (http && http.location) {
    const url = new URL(http.location, http.url).href;
    const res = await fetch(url, {method: 'DELETE'});
    status = res.status;
    note('DELETE ' + status);
  }
  if (pc) pc.close();
  return status;
}

const pick = (o, keys) => Object.fromEntries(keys.filter(k => o[k] !== undefined).map(k => [k, o[k]]));

async function statsSummary(pc) {
  const stats = await pc.getStats();
  const byId = {};
  stats.forEach(s => (byId[s.id] = s));
  const out = {
    connectionState: pc.connectionState,
    iceConnectionState: pc.iceConnectionState,
    inbound: {},
    outbound: [],
    transport: null,
    pair: null,
  };
  stats.forEach(s => {
    if (s.type === 'inbound-rtp') {
      const codec = byId[s.codecId];
      out.inbound[s.kind] = Object.assign(pick(s, [
        'ssrc', 'packetsReceived', 'packetsLost', 'nackCount', 'bytesReceived', 'jitter',
        'framesDecoded', 'keyFramesDecoded', 'framesDropped', 'framesReceived', 'frameWidth',
        'frameHeight', 'framesPerSecond', 'pliCount', 'firCount', 'totalSamplesReceived',
        'concealedSamples', 'audioLevel', 'decoderImplementation',
      ]), {codec: codec ? codec.mimeType : null});
    } else if (s.type === 'outbound-rtp') {
      const codec = byId[s.codecId];
      out.outbound.push(Object.assign(pick(s, [
        'kind', 'rid', 'ssrc', 'packetsSent', 'bytesSent', 'retransmittedPacketsSent', 'nackCount',
        'pliCount', 'firCount', 'framesEncoded', 'framesSent', 'keyFramesEncoded', 'frameWidth',
        'frameHeight', 'framesPerSecond', 'qualityLimitationReason', 'active', 'targetBitrate',
        'encoderImplementation', 'scalabilityMode',
      ]), {codec: codec ? codec.mimeType : null}));
    } else if (s.type === 'transport') {
      out.transport = pick(s, [
        'dtlsState', 'iceState', 'dtlsRole', 'srtpCipher', 'dtlsCipher', 'tlsVersion', 'selectedCandidatePairId',
        'bytesSent', 'bytesReceived',
      ]);
    }
  });
  out.outbound.sort((a, b) => (a.kind + (a.rid || '')).localeCompare(b.kind + (b.rid || '')));
  const pairId = out.transport && out.transport.selectedCandidatePairId;
  let pair = pairId && byId[pairId];
  if (!pair) stats.forEach(s => { if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s; });
  if (pair) {
    const cand = c => c && pick(c, ['address', 'port', 'protocol', 'candidateType']);
    out.pair = Object.assign(pick(pair, ['state', 'nominated', 'currentRoundTripTime', 'availableOutgoingBitrate']),
                             {local: cand(byId[pair.localCandidateId]), remote: cand(byId[pair.remoteCandidateId])});
  }
  return out;
}
