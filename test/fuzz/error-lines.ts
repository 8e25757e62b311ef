// What counts as an error in a component's log while fuzzing: lines at
// pino's error level or above, and anything that is not a JSON log line at
// all (a crash's stack trace, a runtime warning).
export function errorLines(text: string): string[] {
  const errors: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (!line.startsWith('{')) {
      errors.push(line.slice(0, 500));
      continue;
    }
    try {
      if ((JSON.parse(line) as { level?: number }).level! >= 50) errors.push(line.slice(0, 500));
    } catch {
      errors.push(`unparsable log line: ${line.slice(0, 200)}`);
    }
  }
  return errors;
}
