// What the HubSpot emulator's callers see: its options, the seeds and views of the control API, and the handle.

export interface HubspotEmulatorWebhookOptions {
  url: string;
  clientSecret: string;
  signatureVersion: 'v3' | 'v1';
  /** Contact properties whose changes are notified (default lifecyclestage and hubspotscore). */
  properties?: string[];
  /** Every n-th delivery is sent twice (HubSpot delivers at least once). 0 = never. */
  duplicateEvery?: number;
  /** Events per request (HubSpot: up to 100). */
  maxBatch?: number;
  /** Events are collected for this long before a delivery (default 10 ms). */
  flushMs?: number;
  /** Redeliveries after a non-2xx answer or a connection failure (default 0), spaced by retryDelayMs (default 50). */
  retries?: number;
  retryDelayMs?: number;
  appId?: number;
}

export interface HubspotEmulatorOptions {
  port?: number;
  host?: string;
  /** Accepted bearer tokens (default ['emulator-token']). */
  tokens?: string[];
  portalId?: number;
  rateLimits?: { searchPerSecond?: number; generalPer10s?: number; daily?: number } | false;
  /** Changes become visible to search this long after they happen. */
  indexDelayMs?: number;
  webhook?: HubspotEmulatorWebhookOptions;
  now?: () => number;
}

export interface EmulatorContactSeed {
  id?: string;
  /** Values may be numbers; read-only properties (lastmodifieddate, createdate…) may be set when seeding. */
  properties: Record<string, string | number | null | undefined>;
  archived?: boolean;
}

export interface EmulatorOwnerSeed {
  id?: string;
  email: string;
  firstName?: string;
  lastName?: string;
  userId?: number;
  archived?: boolean;
  type?: 'PERSON' | 'QUEUE';
  teams?: Array<{ id: string; name: string; primary: boolean }>;
}

export interface EmulatorCompanySeed {
  id?: string;
  properties: Record<string, string | number | null | undefined>;
}

export interface EmulatorContactView {
  id: string;
  properties: Record<string, string | null>;
  archived: boolean;
  mergedInto: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface EmulatorNoteView {
  id: string;
  properties: Record<string, string | null>;
  contactIds: string[];
}

export type EmulatorFault =
  | { kind: 'status'; status: number; count: number; match?: string; body?: unknown; headers?: Record<string, string> }
  | { kind: 'slow'; delayMs: number; count: number; match?: string }
  | { kind: 'reset'; count: number; match?: string };

export interface EmulatorWebhookDelivery {
  body: string;
  status: number | null;
  attempt: number;
  duplicate: boolean;
  events: number;
}

export interface EmulatorPropertyDef {
  name: string;
  label?: string;
  type?: 'string' | 'number' | 'datetime' | 'date' | 'enumeration' | 'bool';
  fieldType?: string;
  groupName?: string;
  description?: string;
  options?: Array<{ label: string; value: string; displayOrder?: number; hidden?: boolean }>;
  readOnly?: boolean;
  hubspotDefined?: boolean;
}

export interface HubspotEmulatorControl {
  seedContacts(contacts: EmulatorContactSeed[]): string[];
  createContact(properties: EmulatorContactSeed['properties']): string;
  /** Changes properties as a user in HubSpot would (read-only ones included). */
  updateContact(id: string, properties: EmulatorContactSeed['properties']): void;
  archiveContact(id: string): void;
  /** Merges `secondaryId` into `primaryId`: the secondary id then resolves to the primary record. */
  mergeContacts(primaryId: string, secondaryId: string): void;
  getContact(id: string): EmulatorContactView | undefined;
  contactIds(): string[];
  seedOwners(owners: EmulatorOwnerSeed[]): string[];
  seedCompanies(companies: EmulatorCompanySeed[]): string[];
  defineProperty(def: EmulatorPropertyDef): void;
  /** Custom single-line text contact properties in the contact-information group, as an admin adds them. */
  defineTextProperties(names: string[]): void;
  propertyNames(): string[];
  groupNames(): string[];
  notes(): EmulatorNoteView[];
  callCounts(): Record<string, number>;
  totalCalls(): number;
  resetCallCounts(): void;
  /** Changes made from now on become visible to search `ms` after they happen (see indexDelayMs). */
  setIndexDelay(ms: number): void;
  setFault(fault: EmulatorFault | null): void;
  /** null = every scope granted. */
  setScopes(scopes: string[] | null): void;
  setTokens(tokens: string[]): void;
  webhookDeliveries(): EmulatorWebhookDelivery[];
  /** Resolves once every queued webhook event has been delivered (or given up on). */
  flushWebhooks(): Promise<void>;
}

export interface HubspotEmulator {
  url: string;
  port: number;
  control: HubspotEmulatorControl;
  close(): Promise<void>;
}
