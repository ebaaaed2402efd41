// The data the emulator's API areas share (CRM records and the property catalogue), the record and value helpers
// they all use, and the call log behind the test controls (call counts, one injected fault at a time).
import type { EmulatorFault, HubspotEmulatorControl } from './types.js';

export interface StoredProperty {
  name: string;
  label: string;
  type: string;
  fieldType: string;
  groupName: string;
  description: string;
  options: StoredOption[];
  readOnly: boolean;
  hubspotDefined: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface StoredOption {
  label: string;
  value: string;
  displayOrder: number;
  hidden: boolean;
}

export interface StoredGroup {
  name: string;
  label: string;
  displayOrder: number;
}

/** What search sees of a record from `visibleFrom` on (search lags behind writes by the index delay). */
export interface SearchVersion {
  props: Record<string, string>;
  archived: boolean;
  visibleFrom: number;
}

interface HistoryEntry {
  value: string;
  timestamp: number;
  sourceType: string;
}

export interface StoredRecord {
  id: string;
  props: Record<string, string>;
  history: Record<string, HistoryEntry[]>;
  archived: boolean;
  archivedAt: number | null;
  mergedInto: string | null;
  createdAt: number;
  updatedAt: number;
  versions: SearchVersion[];
}

export interface EmulatorState {
  readonly now: () => number;
  readonly contacts: Map<string, StoredRecord>;
  readonly companies: Map<string, StoredRecord>;
  readonly contactProps: Map<string, StoredProperty>;
  readonly companyProps: Map<string, StoredProperty>;
  readonly groups: Map<string, StoredGroup>;
}

export function createEmulatorState(now: () => number): EmulatorState {
  return {
    now,
    contacts: new Map(),
    companies: new Map(),
    contactProps: new Map(),
    companyProps: new Map(),
    groups: new Map(),
  };
}

/** A live record with no history and no search versions yet. */
export function newRecord(id: string, props: Record<string, string>, createdAt: number, at: number): StoredRecord {
  return {
    id,
    props,
    history: {},
    archived: false,
    archivedAt: null,
    mergedInto: null,
    createdAt,
    updatedAt: at,
    versions: [],
  };
}

/** A seeded property value as HubSpot stores it: a string, or null for no value. */
export function toStringValue(v: string | number | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  return String(v);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface CallLog {
  /** Counts a request under its route key. */
  count(key: string): void;
  /** The injected fault this request gets, if any; each use spends one of its count. */
  takeFault(path: string): EmulatorFault | null;
  control: Pick<HubspotEmulatorControl, 'callCounts' | 'totalCalls' | 'resetCallCounts' | 'setFault'>;
}

export function createCallLog(): CallLog {
  const counts = new Map<string, number>();
  let fault: EmulatorFault | null = null;
  return {
    count(key) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
    takeFault(path) {
      if (!fault || fault.count <= 0) return null;
      if (fault.match !== undefined && !path.includes(fault.match)) return null;
      const f = fault;
      fault = { ...f, count: f.count - 1 };
      if (fault.count <= 0) fault = null;
      return f;
    },
    control: {
      callCounts: () => Object.fromEntries(counts),
      totalCalls: () => [...counts.values()].reduce((a, b) => a + b, 0),
      resetCallCounts: () => counts.clear(),
      setFault(f) {
        fault = f;
      },
    },
  };
}
