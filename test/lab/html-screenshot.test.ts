import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateSync, inflateSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import type { AnalysisReport } from '../../src/model/analysis-report.js';
import { headlineSentences } from '../../src/render/diagnosis-text.js';
import { timelineTargets } from '../../src/render/html-report.js';
import { ATTRIBUTION_COLOURS } from '../../src/render/svg-timeline.js';
import { REPO, runKad } from '../helpers/run-kad.js';
import { labSkip, onPath } from '../helpers/lab-gate.js';

// ------------------------------------------------------------ a PNG decoder: just enough for Chromium's screenshots

interface Image {
  width: number;
  height: number;
  /** RGB triples, row by row. */
  rgb: Uint8Array;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(png: Buffer): { width: number; height: number; depth: number; colourType: number; interlace: number } {
  assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), 'not a PNG');
  assert.equal(png.toString('latin1', 12, 16), 'IHDR', 'first chunk is not IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20), depth: png[24]!, colourType: png[25]!, interlace: png[28]! };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** 8-bit RGB or RGBA, not interlaced: what Chromium writes. Alpha is dropped (the page background is opaque). */
function decodePng(png: Buffer): Image {
  const h = ihdr(png);
  assert.equal(h.depth, 8, 'only 8-bit PNGs');
  assert.ok(h.colourType === 2 || h.colourType === 6, `colour type ${h.colourType} not supported`);
  assert.equal(h.interlace, 0, 'interlaced PNG not supported');
  const idat: Buffer[] = [];
  for (let off = 8; off < png.length;) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    if (type === 'IDAT') idat.push(png.subarray(off + 8, off + 8 + len));
    if (type === 'IEND') break;
    off += 12 + len;
  }
  const data = inflateSync(Buffer.concat(idat));
  const bpp = h.colourType === 6 ? 4 : 3;
  const stride = h.width * bpp;
  assert.equal(data.length, h.height * (stride + 1), 'inflated size does not match the header');
  const cur = new Uint8Array(stride);
  const prev = new Uint8Array(stride);
  const rgb = new Uint8Array(h.width * h.height * 3);
  for (let y = 0; y < h.height; y++) {
    const filter = data[y * (stride + 1)]!;
    const line = data.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      const pred =
        filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? paeth(a, b, c) : NaN;
      assert.ok(!Number.isNaN(pred), `bad filter type ${filter} on row ${y}`);
      cur[i] = (line[i]! + pred) & 0xff;
    }
    for (let x = 0; x < h.width; x++) rgb.set(cur.subarray(x * bpp, x * bpp + 3), (y * h.width + x) * 3);
    prev.set(cur);
  }
  return { width: h.width, height: h.height, rgb };
}

function hexRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [n >> 16, (n >> 8) & 0xff, n & 0xff];
}

/** Pixels within `tol` (per channel) of a colour: anti-aliased edges do not count, solid fills do. */
function countColour(img: Image, hex: string, tol = 12): number {
  const [r, g, b] = hexRgb(hex);
  let n = 0;
  for (let i = 0; i < img.rgb.length; i += 3) {
    if (Math.abs(img.rgb[i]! - r) <= tol && Math.abs(img.rgb[i + 1]! - g) <= tol && Math.abs(img.rgb[i + 2]! - b) <= tol) n++;
  }
  return n;
}

/** Distinct colours after dropping the low 3 bits of each channel. */
function distinctColours(img: Image): number {
  const seen = new Set<number>();
  for (let i = 0; i < img.rgb.length; i += 3) seen.add(((img.rgb[i]! >> 3) << 10) | ((img.rgb[i + 1]! >> 3) << 5) | (img.rgb[i + 2]! >> 3));
  return seen.size;
}

// ------------------------------------------------------------ Chromium

const CHROMIUM_NAMES = ['chromium', 'chromium-browser'];
const CHROMIUM = CHROMIUM_NAMES.find(onPath);
const skip = labSkip(import.meta.url, { tools: [CHROMIUM_NAMES] });

const WIDTH = 1280;
const HEIGHT = 2000;
const dir = mkdtempSync(join(tmpdir(), 'kad-html-shot-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Headless Chromium that neither reaches the network nor keeps state between runs. */
function chromium(args: string[], name: string): { stdout: string; stderr: string } {
  const profile = mkdtempSync(join(dir, `profile-${name}-`));
  const r = spawnSync(
    CHROMIUM!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
  );
  assert.equal(r.status, 0, `chromium failed (${r.status}, ${r.signal}): ${r.stderr}`);
  return { stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

interface Case {
  name: string;
  captures: string[];
  /** Attribution of the RST drawn in the problem connection's timeline. */
  attribution: 'middlebox' | 'local-stack';
}

const CASES: Case[] = [
  {
    name: 'fw-reset-keepalive',
    captures: ['captures/fw-reset-keepalive.client.pcap', 'captures/fw-reset-keepalive.server.pcap'],
    attribution: 'middlebox',
  },
  { name: 'fw-drop', captures: ['captures/fw-drop.server.pcap'], attribution: 'local-stack' },
];

function textOf(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

for (const c of CASES) {
  describe(`HTML report of ${c.name} in headless Chromium`, { skip }, () => {
    const html = join(dir, `${c.name}.html`);
    const png = join(dir, `${c.name}.png`);
    const files = c.captures.map((f) => join(REPO, f));
    let doc: AnalysisReport;

    test('kad analyze --html writes the page', () => {
      const r = runKad(['analyze', ...files, '--html', html]);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(existsSync(html));
      doc = JSON.parse(runKad(['analyze', '--json', ...files]).stdout) as AnalysisReport;
    });

    test('the DOM has every headline verdict and one timeline per problem connection', () => {
      const dom = chromium(['--dump-dom', pathToFileURL(html).href], `${c.name}-dom`).stdout;
      const headlines = doc.files.flatMap(headlineSentences);
      assert.ok(headlines.length > 0, 'the capture should have a verdict');
      for (const s of headlines) assert.ok(dom.includes(textOf(s)), `DOM lacks the headline "${s}"`);
      const problems = doc.files.reduce((n, f) => n + timelineTargets(f).length, 0);
      const svgs = dom.match(/<svg class="timeline"/g) ?? [];
      assert.equal(svgs.length, problems, 'one <svg> timeline per problem connection');
      assert.ok(dom.includes(`data-attribution="${c.attribution}"`), `a RST attributed to ${c.attribution} is drawn`);
      assert.match(dom, /class="idle-timeout"/, 'the inferred idle timeout is drawn');
    });

    test('the page fetches nothing: no http(s) URL in src/href, no external script, stylesheet or font', () => {
      const page = readFileSync(html, 'utf8');
      assert.doesNotMatch(page, /\b(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
      assert.doesNotMatch(page, /<script\b[^>]*\bsrc=|<link\b|@import|url\(/i);
    });

    test(`screenshot at ${WIDTH}×${HEIGHT}: right size, not blank, the RST in its attribution colour`, (t) => {
      chromium([`--window-size=${WIDTH},${HEIGHT}`, `--screenshot=${png}`, pathToFileURL(html).href], `${c.name}-shot`);
      assert.ok(existsSync(png), 'no screenshot written');
      const buf = readFileSync(png);
      const head = ihdr(buf);
      assert.deepEqual([head.width, head.height], [WIDTH, HEIGHT]);
      const img = decodePng(buf);
      const white = countColour(img, '#ffffff', 2);
      const total = WIDTH * HEIGHT;
      assert.ok(white > total * 0.5, `a light page: ${white} of ${total} pixels are white`);
      assert.ok(white < total * 0.98, 'the page is not blank');
      assert.ok(distinctColours(img) >= 20, `only ${distinctColours(img)} distinct colours`);
      assert.ok(countColour(img, '#1f2933', 40) > 2000, 'dark text is visible');
      const drawn = countColour(img, ATTRIBUTION_COLOURS[c.attribution]);
      assert.ok(drawn >= 100, `only ${drawn} pixels of the ${c.attribution} colour`);
      // The middlebox red is used for nothing else: it appears exactly when a forged RST was found.
      const red = countColour(img, ATTRIBUTION_COLOURS.middlebox);
      t.diagnostic(`${png}: ${white} white, ${distinctColours(img)} colours, ${drawn} ${c.attribution}, ${red} middlebox red`);
      if (c.attribution === 'middlebox') assert.ok(red >= 100);
      else assert.equal(red, 0, `${red} middlebox-red pixels in a report without a middlebox RST`);
    });
  });
}

test('the PNG decoder reads what zlib and the filters produce', () => {
  // 2×2 RGB, rows filtered with Sub and Paeth: the decoder must undo both.
  const raw = Buffer.from([1, 10, 20, 30, 5, 5, 5, 4, 40, 50, 60, 1, 2, 3]);
  const chunk = (type: string, body: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    return Buffer.concat([len, Buffer.from(type, 'latin1'), body, Buffer.alloc(4)]);
  };
  const hdr = Buffer.alloc(13);
  hdr.writeUInt32BE(2, 0);
  hdr.writeUInt32BE(2, 4);
  hdr[8] = 8;
  hdr[9] = 2;
  const png = Buffer.concat([PNG_SIGNATURE, chunk('IHDR', hdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
  const img = decodePng(png);
  // Row 0, Sub: (10,20,30) then (10+5, 20+5, 30+5). Row 1, Paeth: the pixel above predicts x=0, the one to the left x=1.
  assert.deepEqual([...img.rgb], [10, 20, 30, 15, 25, 35, 50, 70, 90, 51, 72, 93]);
});
