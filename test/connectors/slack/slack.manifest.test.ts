import { readFile } from 'node:fs/promises';
import { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SLACK_BOT_SCOPES } from '../../../connectors/slack/slack.client.js';
import { startSlackEmulator } from '../../../connectors/slack/emulator/index.js';

interface Manifest {
  features: { app_home: { home_tab_enabled: boolean }; slash_commands: Array<{ command: string; url: string }> };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    interactivity: { is_enabled: boolean; request_url: string };
    event_subscriptions: { request_url: string; bot_events: string[] };
    socket_mode_enabled: boolean;
  };
}

describe('config/slack-app-manifest.yaml', () => {
  it('asks for exactly the scopes the connector uses, and points Slack at /slack/events', async () => {
    const manifest = parse(
      await readFile(new URL('../../../config/slack-app-manifest.yaml', import.meta.url), 'utf8'),
    ) as Manifest;
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...SLACK_BOT_SCOPES].sort());
    const url = 'https://handoff.example.com/slack/events';
    expect(manifest.features.slash_commands).toEqual([expect.objectContaining({ command: '/handoff', url })]);
    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: url });
    expect(manifest.settings.event_subscriptions).toEqual({ request_url: url, bot_events: ['app_home_opened'] });
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });

  it('matches the scopes the emulator reports for the bot token, as Slack does in X-OAuth-Scopes', async () => {
    const emulator = await startSlackEmulator({ signingSecret: 's', botToken: 'xoxb-t' });
    try {
      const client = new webApi.WebClient('xoxb-t', { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
      const result = await client.auth.test();
      expect([...(result.response_metadata?.scopes ?? [])].sort()).toEqual([...SLACK_BOT_SCOPES].sort());
    } finally {
      await emulator.close();
    }
  });
});
