// How Slack renders the workspace's users, messages and views in API responses and interaction payloads.
import { str, type Json } from './json.js';
import { APP_ID, BOT, TEAM, type EmulatorUser, type RecordedMessage, type RecordedView } from './state.js';

function tzOffsetSeconds(tz: string, at: number): number {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })
      .formatToParts(new Date(at))
      .find((p) => p.type === 'timeZoneName')?.value;
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(part ?? '');
    if (m === null) return 0;
    const sign = m[1] === '-' ? -1 : 1;
    return sign * (Number(m[2]) * 3600 + Number(m[3]) * 60);
  } catch {
    return 0;
  }
}

/** A user object; `at` fixes the time zone offset (it moves with daylight saving). */
export function userJson(u: EmulatorUser, at: number): Json {
  const tz = u.tz ?? 'UTC';
  return {
    id: u.id,
    team_id: TEAM.id,
    name: u.name,
    real_name: u.realName ?? u.name,
    deleted: false,
    is_bot: u.isBot === true,
    tz,
    tz_offset: tzOffsetSeconds(tz, at),
    profile: {
      email: u.email,
      real_name: u.realName ?? u.name,
      display_name: u.name,
    },
  };
}

export function messageJson(m: RecordedMessage): Json {
  return {
    type: 'message',
    user: m.user,
    bot_id: m.user === BOT.userId ? BOT.botId : undefined,
    app_id: m.user === BOT.userId ? APP_ID : undefined,
    text: m.text,
    blocks: m.blocks,
    ts: m.ts,
    thread_ts: m.threadTs ?? undefined,
    team: TEAM.id,
  };
}

export function viewJson(v: RecordedView): Json {
  return {
    ...v.view,
    id: v.id,
    team_id: TEAM.id,
    app_id: APP_ID,
    bot_id: BOT.botId,
    state: { values: {} },
    hash: `${Math.floor(v.openedAt / 1000)}.${v.id}`,
    root_view_id: v.id,
    previous_view_id: null,
    private_metadata: str(v.view.private_metadata) ?? '',
    callback_id: str(v.view.callback_id) ?? '',
  };
}
