import { vi } from 'vitest';

/**
 * Captures everything written to stdout, stderr and the console (the Powertools logger writes
 * to a Console over process.stdout/stderr) and keeps it out of the test output.
 */
export const captureLogs = () => {
  const lines: string[] = [];
  const keep = (chunk: unknown) => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(keep as never),
    vi.spyOn(process.stderr, 'write').mockImplementation(keep as never),
    ...(['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        keep(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      }),
    ),
  ];
  return {
    lines,
    /** Lines that contain any of the given strings (case-sensitive). */
    containing: (needles: readonly string[]) => lines.filter((line) => needles.some((n) => line.includes(n))),
    clear: () => {
      lines.length = 0;
    },
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
};
