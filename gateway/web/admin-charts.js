// SPDX-License-Identifier: MIT
// Small stream-health charts for the admin dashboard: bitrate (left scale)
// and loss in percent (right scale, 0-20 %) over the last minutes, in a canvas.
'use strict';

const MgCharts = (() => {
  const WINDOW_MS = 5 * 60 * 1000;
  const LOSS_TOP = 20;

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
  }

  function fmtRate(bps) {
    if (bps >= 1e6) return (bps / 1e6).toFixed(1) + ' Mb/s';
    if (bps >= 1e3) return Math.round(bps / 1e3) + ' kb/s';
    return Math.round(bps) + ' b/s';
  }

  // points: [{t (ms), bitrate (b/s), loss (%)}], oldest first.
  function draw(canvas, points, now) {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 300, h = canvas.clientHeight || 70;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const start = now - WINDOW_MS;
    const x = (t) => ((t - start) / WINDOW_MS) * w;
    const top = Math.max(100e3, ...points.map((p) => p.bitrate)) * 1.15;
    // The 5 % loss line: above it the dashboard warns.
    g.strokeStyle = 'rgba(229, 72, 77, .35)';
    g.setLineDash([3, 3]);
    g.beginPath();
    const y5 = h - (5 / LOSS_TOP) * h;
    g.moveTo(0, y5);
    g.lineTo(w, y5);
    g.stroke();
    g.setLineDash([]);
    const line = (color, value) => {
      g.strokeStyle = color;
      g.lineWidth = 1.5;
      g.beginPath();
      let started = false;
      for (const p of points) {
        if (p.t < start) continue;
        const py = h - 2 - value(p) * (h - 4);
        if (started) g.lineTo(x(p.t), py);
        else g.moveTo(x(p.t), py);
        started = true;
      }
      g.stroke();
    };
    line(css('--accent'), (p) => p.bitrate / top);
    line(css('--danger'), (p) => Math.min(p.loss, LOSS_TOP) / LOSS_TOP);
    g.fillStyle = css('--muted');
    g.font = '10px system-ui, sans-serif';
    g.fillText(fmtRate(top), 4, 11);
    g.fillText('-5 min', 4, h - 4);
  }

  return { draw, fmtRate, WINDOW_MS };
})();
