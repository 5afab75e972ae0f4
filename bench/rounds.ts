/** One measured figure of one round: a number with its unit, named so that rounds line up. */
export type Sample = { name: string; value: number; unit: string };

/** How many rounds to run: `--rounds` if given, else `BENCH_ROUNDS`, else the default. */
export function roundCount(flag: string | undefined, fallback = 5): number {
  const count = Number(flag ?? process.env['BENCH_ROUNDS'] ?? fallback);
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`rounds must be a positive integer, not "${flag ?? process.env['BENCH_ROUNDS']}"`);
  return count;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export type Summary = { name: string; unit: string; median: number; min: number; max: number; rounds: number };

/** Each figure's median, min and max over the rounds, in the order the figures were first measured. */
export function summarize(rounds: readonly (readonly Sample[])[]): Summary[] {
  const byName = new Map<string, Sample[]>();
  for (const round of rounds) for (const sample of round) byName.set(sample.name, [...(byName.get(sample.name) ?? []), sample]);
  return [...byName.values()].map((samples) => {
    const values = samples.map((sample) => sample.value);
    return {
      name: samples[0]!.name,
      unit: samples[0]!.unit,
      median: median(values),
      min: Math.min(...values),
      max: Math.max(...values),
      rounds: values.length,
    };
  });
}

/** A number as a figure: thousands separated; three decimals below 1, two below 10, one below 1,000. */
export function formatValue(value: number): string {
  const size = Math.abs(value);
  const digits = size < 1 ? 3 : size < 10 ? 2 : size < 1000 ? 1 : 0;
  return value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Prints summaries as `name  median unit  (min–max over N rounds)`. */
export function printSummaries(summaries: readonly Summary[], nameWidth = 64): void {
  for (const summary of summaries) {
    const median = `${formatValue(summary.median)} ${summary.unit}`;
    const spread = summary.rounds > 1 ? `  (${formatValue(summary.min)}–${formatValue(summary.max)}, ${summary.rounds} rounds)` : '';
    process.stdout.write(`  ${summary.name.padEnd(nameWidth)} ${median.padStart(14)}${spread}\n`);
  }
}
