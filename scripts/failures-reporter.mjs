// A test reporter that prints nothing while the tests run, then, at the end, each failed test again with its file and
// its error. A long run's output is thousands of lines; CI keeps its head and its tail, and a failure in the middle
// is otherwise lost. A suite that failed only because a test in it failed is not repeated.
export default async function* failuresReporter(source) {
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const error = event.data.details?.error;
    if (error?.failureType === 'subtestsFailed') continue;
    failures.push(event.data);
  }
  if (failures.length === 0) return;
  yield `\n# ${failures.length} failed ${failures.length === 1 ? 'test' : 'tests'}, again:\n`;
  for (const failure of failures) {
    const error = failure.details?.error;
    const cause = error?.cause ?? error;
    const where = failure.file ? `${failure.file}:${failure.line ?? '?'}` : '(no file)';
    const message = String(cause?.message ?? cause ?? 'no error recorded')
      .split('\n')
      .slice(0, 60)
      .map((line) => `#   ${line}`)
      .join('\n');
    yield `# ✗ ${failure.name}\n#   at ${where}\n${message}\n`;
  }
}
