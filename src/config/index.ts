// The configuration contract: load, validate, describe, and the JSON Schema of the file.
export { loadConfig, parseConfigText } from './load.js';
export type { LoadConfigOptions } from './load.js';
export { describeConfig, formatCondition } from './describe.js';
export { configJsonSchema } from './json-schema.js';
export {
  configSchema,
  configInputSchema,
  DEFAULT_FIELDS,
  DEFAULT_HISTORY,
  isTimeZone,
  isCalendarDate,
} from './schema.js';
export type { Config, DigestSettings, QuietHours, SalesforceAuth, StartFrom, WriteBack } from './schema.js';
export type { IntakeFieldName, IntakeSourceConfig } from './schema.js';
