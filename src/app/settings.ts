// What the use cases need to know from the configuration, in domain terms. main.ts builds it from Config.
import type {
  HotLane,
  Manager,
  RejectionReason,
  Rep,
  RoutingSettings,
  SlaSettings,
  CrmKind,
  Team,
} from '../domain/model.js';

export interface WriteBackSettings {
  /** none: decisions are only recorded (and sent to an intake source's callback when it has one). */
  kind: CrmKind;
  assignOwnerOn: 'accept' | 'offer';
  /** The CRM property that holds the owner (hubspot_owner_id, OwnerId). */
  ownerProperty: string;
  onAccept: { set: Record<string, string>; note: boolean };
  onReject: { set: Record<string, string>; note: boolean };
  onRecycle: { set: Record<string, string> } | null;
}

export interface AppSettings {
  reps: Rep[];
  managers: Manager[];
  teams: Team[];
  routing: RoutingSettings;
  sla: SlaSettings;
  hot: HotLane | null;
  reasons: RejectionReason[];
  crm: WriteBackSettings;
  /**
   * The managers' and marketing's channels as message addresses (domain/chat.ts), one platform each: Slack's when
   * configured, else Teams', else (managers only) the managers' inboxes when they decide by email.
   */
  channels: { managers: string | null; marketing: string | null };
  email: { managers: string[]; marketing: string[] } | null;
  /** Link to the dashboard for messages, when the server has a public URL. */
  dashboardUrl: string | null;
  /** Intake source ids whose decisions go to their callback URL (absent: none). */
  intakeCallbacks?: string[];
}

/** The channel address of an audience, or null when it has none. */
export function channelOf(settings: AppSettings, audience: 'managers' | 'marketing'): string | null {
  return settings.channels[audience];
}

export function findRep(settings: AppSettings, id: string | null | undefined): Rep | undefined {
  return id ? settings.reps.find((r) => r.id === id) : undefined;
}

export function findTeam(settings: AppSettings, id: string | null | undefined): Team | undefined {
  return id ? settings.teams.find((t) => t.id === id) : undefined;
}

export function findReason(settings: AppSettings, id: string | null | undefined): RejectionReason | undefined {
  return id ? settings.reasons.find((r) => r.id === id) : undefined;
}

/** Managers responsible for a team (its manager), or every manager when the team names none. */
export function managersOf(settings: AppSettings, teamId: string | null): Manager[] {
  const team = findTeam(settings, teamId);
  if (team?.manager) {
    const m = settings.managers.find((x) => x.id === team.manager);
    if (m) return [m];
  }
  return settings.managers;
}
