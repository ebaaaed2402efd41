// A Logger port that keeps what it was told, for assertions.
import type { Logger } from '../../src/ports/logger.js';

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

export function recordingLogger(
  bindings: Record<string, unknown> = {},
  records: LogRecord[] = [],
): Logger & { records: LogRecord[] } {
  const at =
    (level: LogRecord['level']) =>
    (objOrMsg: object | string, msg?: string): void => {
      if (typeof objOrMsg === 'string') records.push({ level, msg: objOrMsg, fields: { ...bindings } });
      else records.push({ level, msg: msg ?? '', fields: { ...bindings, ...(objOrMsg as Record<string, unknown>) } });
    };
  return {
    records,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger({ ...bindings, ...more }, records),
  };
}
