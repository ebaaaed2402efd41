import { readFile } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const dir = new URL('../../../config/teams-app/', import.meta.url);

async function manifestText(): Promise<string> {
  return readFile(new URL('manifest.json', dir), 'utf8');
}

/** The manifest with every ${{NAME}} replaced as an admin would. */
function filled(text: string): Record<string, any> {
  const values: Record<string, string> = {
    TEAMS_APP_ID: '6f1c2a64-5b8e-4d1f-9a3c-2e7b8d9f0a11',
    BOT_ID: '0b7f3c2e-1d4a-4e5b-8c6d-9e0f1a2b3c4d',
    HANDOFF_DOMAIN: 'handoff.example.com',
    PUBLISHER_NAME: 'Example Corp',
    PRIVACY_URL: 'https://example.com/privacy',
    TERMS_OF_USE_URL: 'https://example.com/terms',
  };
  return JSON.parse(text.replace(/\$\{\{([A-Z_]+)\}\}/g, (_m, name: string) => values[name] ?? `<unset ${name}>`));
}

interface Png {
  width: number;
  height: number;
  colorType: number;
  bitDepth: number;
  /** RGBA rows (only for 8-bit RGBA). */
  pixels: Buffer | null;
}

/** Reads a PNG's header and, for 8-bit RGBA, its pixels (all five row filters undone). */
function readPng(buf: Buffer): Png {
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let at = 8;
  let header: Omit<Png, 'pixels'> | null = null;
  const idat: Buffer[] = [];
  while (at < buf.length) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString('ascii', at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      header = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), bitDepth: data[8]!, colorType: data[9]! };
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  if (header === null) throw new Error('no IHDR');
  if (header.bitDepth !== 8 || header.colorType !== 6) return { ...header, pixels: null };
  const raw = inflateSync(Buffer.concat(idat));
  const stride = header.width * 4;
  const out = Buffer.alloc(stride * header.height);
  for (let y = 0; y < header.height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= 4 ? out[y * stride + x - 4]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? out[(y - 1) * stride + x - 4]! : 0;
      const paeth = (): number => {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      };
      const pred = [0, a, b, (a + b) >> 1, paeth()][filter];
      if (pred === undefined) throw new Error(`bad filter ${filter}`);
      out[y * stride + x] = (v + pred) & 0xff;
    }
  }
  return { ...header, pixels: out };
}

describe('config/teams-app', () => {
  it('is a valid manifest (schema 1.17 or later) with the fields Teams requires', async () => {
    const text = await manifestText();
    const m = JSON.parse(text) as Record<string, any>;
    const [major, minor] = String(m.manifestVersion).split('.').map(Number);
    expect(major).toBe(1);
    expect(minor).toBeGreaterThanOrEqual(17);
    expect(m.$schema).toBe(
      `https://developer.microsoft.com/json-schemas/teams/v${m.manifestVersion}/MicrosoftTeams.schema.json`,
    );
    expect(m.version).toMatch(/^\d+\.\d+\.\d+$/);

    const f = filled(text);
    expect(JSON.stringify(f)).not.toContain('<unset');
    expect(f.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(f.developer.name.length).toBeGreaterThan(0);
    for (const url of [f.developer.websiteUrl, f.developer.privacyUrl, f.developer.termsOfUseUrl]) {
      expect(new URL(url).protocol).toBe('https:');
    }
    expect(f.name.short.length).toBeLessThanOrEqual(30);
    expect(f.name.full.length).toBeLessThanOrEqual(100);
    expect(f.description.short.length).toBeLessThanOrEqual(80);
    expect(f.description.full.length).toBeLessThanOrEqual(4000);
    expect(f.accentColor).toMatch(/^#[0-9A-Fa-f]{6}$/);
    expect(f.icons).toEqual({ color: 'color.png', outline: 'outline.png' });
    expect(f.validDomains).toEqual(['handoff.example.com']);
  });

  it('asks for a bot in personal chats and teams, no files, and no more permissions than it uses', async () => {
    const m = JSON.parse(await manifestText()) as Record<string, any>;
    expect(m.id).toBe('${{TEAMS_APP_ID}}');
    expect(m.bots).toHaveLength(1);
    expect(m.bots[0].botId).toBe('${{BOT_ID}}');
    expect([...m.bots[0].scopes].sort()).toEqual(['personal', 'team']);
    expect(m.bots[0].supportsFiles).toBe(false);
    expect(m.permissions).toEqual(['messageTeamMembers']);
    // No resource-specific consent, no Graph, no tabs, no message extensions.
    expect(m.authorization).toBeUndefined();
    expect(m.webApplicationInfo).toBeUndefined();
    expect(m.staticTabs ?? m.configurableTabs ?? m.composeExtensions).toBeUndefined();
  });

  it('documents every placeholder it uses', async () => {
    const text = await manifestText();
    const readme = await readFile(new URL('README.md', dir), 'utf8');
    const names = new Set([...text.matchAll(/\$\{\{([A-Z_]+)\}\}/g)].map((m) => m[1]));
    expect([...names].sort()).toEqual([
      'BOT_ID',
      'HANDOFF_DOMAIN',
      'PRIVACY_URL',
      'PUBLISHER_NAME',
      'TEAMS_APP_ID',
      'TERMS_OF_USE_URL',
    ]);
    for (const name of names) expect(readme).toContain(`\${{${name}}}`);
  });

  it('has a 192×192 colour icon and a 32×32 white-on-transparent outline icon', async () => {
    const color = readPng(await readFile(new URL('color.png', dir)));
    expect([color.width, color.height]).toEqual([192, 192]);
    const outline = readPng(await readFile(new URL('outline.png', dir)));
    expect([outline.width, outline.height]).toEqual([32, 32]);
    const px = outline.pixels;
    if (px === null) throw new Error('outline.png is not 8-bit RGBA');
    let white = 0;
    let clear = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3] === 0) clear += 1;
      else if (px[i] === 255 && px[i + 1] === 255 && px[i + 2] === 255 && px[i + 3] === 255) white += 1;
    }
    expect(white + clear).toBe(32 * 32);
    expect(white).toBeGreaterThan(0);
    expect(clear).toBeGreaterThan(white);
  });
});
