// SPDX-License-Identifier: MIT
// One WebSocket to /ws: JSON messages, request ids, a ping every 10 s and a watchdog that
// treats 30 s of silence as a dropped connection (the server does the same).

const PING_MS = 10000;
const SILENCE_MS = 30000;

export function signalUrl(loc = window.location) {
  return (loc.protocol === 'https:' ? 'wss://' : 'ws://') + loc.host + '/ws';
}

export class Signal {
  // handlers: onOpen(), onMessage(msg), onClose({ intentional, code })
  constructor(url, handlers) {
    this.url = url;
    this.h = handlers;
    this.ws = null;
    this.nextId = 1;
    this.pingTimer = 0;
    this.lastHeard = 0;
    this.closedByUs = false;
  }

  get open() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    this.teardown();
    this.closedByUs = false;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      setTimeout(() => this.h.onClose({ intentional: false, code: 0 }), 0);
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.lastHeard = Date.now();
      this.pingTimer = setInterval(() => this.tick(), PING_MS);
      this.h.onOpen();
    };
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      this.lastHeard = Date.now();
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return;
      if (msg.type === 'pong') return;
      this.h.onMessage(msg);
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.dropped(ev.code);
    };
    ws.onerror = () => {}; // onclose follows
  }

  tick() {
    if (!this.open) return;
    if (Date.now() - this.lastHeard > SILENCE_MS) {
      // Half-open connection (network blip, sleeping laptop): give up on it now.
      this.dropped(4000);
      return;
    }
    this.send({ type: 'ping' }, false);
  }

  dropped(code) {
    const ws = this.ws;
    this.teardown();
    if (ws) {
      try {
        ws.close();
      } catch {}
    }
    this.h.onClose({ intentional: this.closedByUs, code });
  }

  // Sends a message; with withId (default) it gets a fresh id, which is returned.
  send(msg, withId = true) {
    if (!this.open) return null;
    const out = { ...msg };
    if (withId && out.id === undefined) out.id = this.nextId++;
    this.ws.send(JSON.stringify(out));
    return out.id ?? null;
  }

  close(reason = 'leave') {
    // Say so first: the server then tells the others at once instead of
    // holding the seat for a resume.
    if (reason === 'leave') this.send({ type: 'leave' }, false);
    this.closedByUs = true;
    const ws = this.ws;
    this.teardown();
    if (ws) {
      try {
        ws.close(1000, reason);
      } catch {}
    }
  }

  teardown() {
    clearInterval(this.pingTimer);
    this.pingTimer = 0;
    if (this.ws) {
      this.ws.onopen = this.ws.onmessage = this.ws.onclose = this.ws.onerror = null;
    }
    this.ws = null;
  }
}
