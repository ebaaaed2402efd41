// Config paths as people read them: routing.rules[2].team
export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$.-]*$/;

/** Formats a path: numbers as [n], keys joined by dots; odd keys quoted. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** One problem with a config file. */
export interface Problem {
  path: PathSegment[];
  message: string;
}
