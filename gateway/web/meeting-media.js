// SPDX-License-Identifier: MIT
// Local devices: camera and microphone capture, device lists, the microphone level meter.

export function mediaSupported() {
  return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

// 'denied' | 'none' | 'busy' | 'failed' | 'insecure'
export function classifyError(err) {
  if (!err) return 'failed';
  switch (err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return 'denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
    case 'DevicesNotFoundError':
      return 'none';
    case 'NotReadableError':
    case 'AbortError':
    case 'TrackStartError':
      return 'busy';
    default:
      return 'failed';
  }
}

const VIDEO_CONSTRAINTS = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
const AUDIO_CONSTRAINTS = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

// Open one kind of device. Resolves { track, error } and never rejects: a missing camera must
// not keep the microphone from working, and the other way round.
export async function openDevice(kind, deviceId) {
  if (!mediaSupported()) return { track: null, error: window.isSecureContext === false ? 'insecure' : 'none' };
  const base = kind === 'audio' ? AUDIO_CONSTRAINTS : VIDEO_CONSTRAINTS;
  const c = { ...base };
  if (deviceId) c.deviceId = { exact: deviceId };
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ [kind]: c });
    return { track: stream.getTracks()[0] || null, error: null };
  } catch (err) {
    if (deviceId && (err.name === 'OverconstrainedError' || err.name === 'NotFoundError')) {
      // The remembered device is gone: fall back to the default one.
      return openDevice(kind, '');
    }
    return { track: null, error: classifyError(err) };
  }
}

export async function listDevices() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return { audio: [], video: [] };
  try {
    const all = await navigator.mediaDevices.enumerateDevices();
    return {
      audio: all.filter((d) => d.kind === 'audioinput' && d.deviceId),
      video: all.filter((d) => d.kind === 'videoinput' && d.deviceId),
    };
  } catch {
    return { audio: [], video: [] };
  }
}

// Live microphone level with Web Audio: onLevel(0..1) about 20 times a second.
export class LevelMeter {
  constructor(onLevel) {
    this.onLevel = onLevel;
    this.ctx = null;
    this.source = null;
    this.analyser = null;
    this.timer = 0;
    this.smoothed = 0;
  }

  attach(track) {
    this.detach();
    if (!track) return;
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return;
    if (!this.ctx) this.ctx = new AC();
    this.resume();
    this.source = this.ctx.createMediaStreamSource(new MediaStream([track]));
    this.analyser = this.ctx.createAnalyser();
    this.analyser.fftSize = 1024;
    this.source.connect(this.analyser);
    const buf = new Float32Array(this.analyser.fftSize);
    this.timer = setInterval(() => {
      if (!this.analyser) return;
      this.analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (let i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
      const rms = Math.sqrt(sum / buf.length);
      // Perceptual-ish scale: -60 dBFS → 0, 0 dBFS → 1.
      const db = 20 * Math.log10(rms + 1e-9);
      const level = Math.min(1, Math.max(0, (db + 60) / 60));
      this.smoothed = level > this.smoothed ? level : this.smoothed * 0.85 + level * 0.15;
      this.onLevel(track.enabled ? this.smoothed : 0);
    }, 50);
  }

  // AudioContexts start suspended until the user interacts with the page.
  resume() {
    if (this.ctx && this.ctx.state === 'suspended') this.ctx.resume().catch(() => {});
  }

  detach() {
    clearInterval(this.timer);
    this.timer = 0;
    if (this.source) this.source.disconnect();
    this.source = null;
    this.analyser = null;
    this.onLevel(0);
  }

  close() {
    this.detach();
    if (this.ctx) this.ctx.close().catch(() => {});
    this.ctx = null;
  }
}
