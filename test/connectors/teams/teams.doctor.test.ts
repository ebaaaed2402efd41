// `handoff doctor` for Teams: the bot's credentials against the token endpoint, and for each person in Teams whether
// the app is installed for them (what an admin must do when it is not).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDoctor } from '../../../src/cli/commands/doctor.js';
import type { CliIo } from '../../../src/cli/context.js';
import { parseConfigText } from '../../../src/config/index.js';
import { openStore } from '../../../src/store/index.js';
import { startTeamsEmulator, type TeamsEmulator } from '../../../connectors/teams/emulator/index.js';

const APP = { appId: '6d0c7000-0000-4000-8000-0000000d0c70', appPassword: 'doctor-secret' };

describe('doctor: Microsoft Teams', () => {
  let emulator: TeamsEmulator | null = null;
  let dir = '';
  afterEach(async () => {
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function doctor(password: string) {
    emulator ??= await startTeamsEmulator({ port: 0, host: '127.0.0.1', ...APP });
    dir ||= mkdtempSync(join(tmpdir(), 'handoff-doctor-teams-'));
    const storeUrl = `sqlite:${join(dir, 'h.db')}`;
    const config = parseConfigText(
      [
        'source: { kind: hubspot }',
        'hubspot: { token: pat-x }',
        `store: { url: "${storeUrl}" }`,
        `msteams: { appId: ${APP.appId}, appPassword: ${password}, tokenUrl: "${emulator.tokenUrl}", openIdMetadataUrl: "${emulator.openIdMetadataUrl}" }`,
        'reps:',
        '  - { id: alice, name: Alice, email: alice@example.com, chat: teams }',
        '  - { id: bruno, name: Bruno, email: bruno@example.com, chat: teams }',
        'teams: [{ id: emea, members: [alice, bruno] }]',
        'routing: { fallback: { team: emea } }',
      ].join('\n'),
      {},
      join(dir, 'handoff.yaml'),
    );
    const store = await openStore(storeUrl, { cwd: dir });
    await store.migrate();
    await store.setIdentity('alice', 'teams_conversation', JSON.stringify({ conversationId: 'a:1' }), Date.now());
    await store.close();
    const io: CliIo = { out: () => undefined, err: () => undefined, env: {}, cwd: dir, isTty: false };
    const lines = await runDoctor(config, io);
    return Object.fromEntries(lines.filter((l) => l.name.startsWith('teams')).map((l) => [l.name, l]));
  }

  it('says the credentials work, who has the app, and what to do for who has not', async () => {
    const lines = await doctor(APP.appPassword);
    expect(lines['teams: app credentials']).toMatchObject({ ok: true });
    expect(lines['teams: alice']).toMatchObject({ ok: true, detail: 'app installed: cards reach them' });
    expect(lines['teams: bruno']?.ok).toBe(false);
    expect(lines['teams: bruno']?.detail).toMatch(
      /not installed for bruno@example.com: install it for them .*Setup policies/,
    );
  });

  it('fails the credentials line on a wrong client secret', async () => {
    const lines = await doctor('wrong-secret');
    expect(lines['teams: app credentials']?.ok).toBe(false);
  });
});
