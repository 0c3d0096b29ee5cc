/** Minimal, dependency-free SVG line/step/scatter plots for reports. */

export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** draw as a staircase (codes) */
  step?: boolean;
  /** draw markers only */
  points?: boolean;
  color?: string;
  dashed?: boolean;
  /** error bars: +- yErr[i] around y[i] (e.g. one standard deviation over repeats) */
  yErr?: ArrayLike<number>;
}

export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  width?: number;
  height?: number;
  /** annotations: text labels at data coordinates */
  labels?: Array<{ x: number; y: number; text: string }>;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];

function niceTicks(lo: number, hi: number, n = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(4))));

export function linePlot(o: PlotOptions): string {
  const W = o.width ?? 640;
  const H = o.height ?? 420;
  const m = { l: 70, r: 20, t: 40, b: 55 };
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (const s of o.series) {
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i]!;
      const y = s.y[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const e = Number.isFinite(s.yErr?.[i]) ? Math.abs(s.yErr![i]!) : 0;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y - e);
      y1 = Math.max(y1, y + e);
    }
  }
  if (!Number.isFinite(x0)) {
    x0 = 0;
    x1 = 1;
    y0 = 0;
    y1 = 1;
  }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y1 = y0 + 1;
  const pad = 0.04 * (y1 - y0);
  y0 -= pad;
  y1 += pad;
  if (o.series.some((s) => s.points)) {
    // markers at the very edge of the frame are hard to read: pad x too
    const px0 = 0.06 * (x1 - x0);
    x0 -= px0;
    x1 += px0;
  }
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(o.title)}</text>`);
  for (const t of niceTicks(x0, x1)) {
    parts.push(`<line x1="${px(t)}" y1="${m.t}" x2="${px(t)}" y2="${H - m.b}" stroke="#eee"/>`);
    parts.push(`<text x="${px(t)}" y="${H - m.b + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${m.l}" y1="${py(t)}" x2="${W - m.r}" y2="${py(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${py(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  o.series.forEach((s, si) => {
    const color = s.color ?? PALETTE[si % PALETTE.length];
    for (let i = 0; s.yErr && i < s.x.length; i++) {
      const e = s.yErr[i]!;
      if (!(Number.isFinite(s.x[i]!) && Number.isFinite(s.y[i]!) && Number.isFinite(e) && e > 0)) continue;
      const X = px(s.x[i]!).toFixed(2);
      const [a, b] = [py(s.y[i]! - e).toFixed(2), py(s.y[i]! + e).toFixed(2)];
      parts.push(`<path d="M${X},${a}V${b}M${(+X - 3).toFixed(2)},${a}h6M${(+X - 3).toFixed(2)},${b}h6" stroke="${color}" stroke-width="1"/>`);
    }
    if (s.points) {
      for (let i = 0; i < s.x.length; i++) {
        if (Number.isFinite(s.x[i]!) && Number.isFinite(s.y[i]!)) parts.push(`<circle cx="${px(s.x[i]!).toFixed(2)}" cy="${py(s.y[i]!).toFixed(2)}" r="3.5" fill="${color}"/>`);
      }
    } else {
      const pts: string[] = [];
      for (let i = 0; i < s.x.length; i++) {
        const X = px(s.x[i]!);
        const Y = py(s.y[i]!);
        if (s.step && i > 0) pts.push(`${X.toFixed(2)},${py(s.y[i - 1]!).toFixed(2)}`);
        pts.push(`${X.toFixed(2)},${Y.toFixed(2)}`);
      }
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="5 4"' : ''} points="${pts.join(' ')}"/>`);
    }
    parts.push(`<rect x="${m.l + 10}" y="${m.t + 8 + si * 16}" width="12" height="3" fill="${color}"/>`);
    parts.push(`<text x="${m.l + 28}" y="${m.t + 13 + si * 16}">${esc(s.name)}</text>`);
  });
  for (const l of o.labels ?? []) parts.push(`<text x="${px(l.x) + 5}" y="${py(l.y) - 5}" font-size="10">${esc(l.text)}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
