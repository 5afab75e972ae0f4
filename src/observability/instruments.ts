/**
 * The instruments the server updates while it serves: counters and histograms whose series are bound
 * once (a label set looked up or made the first time it is seen) and then updated with a field add,
 * a few nanoseconds, where prom-client's own `inc`/`observe` hash their label objects on every call
 * (200-400 ns each here, several times per request). They are read only when `/metrics` is scraped,
 * by `PrometheusCollector`s that prom-client's registry renders like its own metrics.
 */

/** Label values of one series, in the order of the instrument's label names. */
export type LabelValues = readonly string[];

/** A series of a counter. */
export class CounterSeries {
  value = 0;

  inc(by = 1): void {
    this.value += by;
  }
}

/** A series of a histogram: per-bucket counts (not cumulative), their sum and count. */
export class HistogramSeries {
  readonly #bounds: readonly number[];
  /** counts[i] is observations <= bounds[i] and > bounds[i - 1]; the last one is above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** One observation, in the unit of the bounds (seconds). */
  observe(value: number): void {
    const bounds = this.#bounds;
    let index = 0;
    while (index < bounds.length && value > bounds[index]!) index += 1;
    this.counts[index]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

/** What prom-client's registry reads of a metric (its `get()`); see `toPromClientMetric`. */
export type CollectedMetric = {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum';
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
};

/** A metric prom-client's registry can render: ours, read at scrape time. */
export interface PrometheusCollector {
  readonly name: string;
  readonly type: CollectedMetric['type'];
  collect(): CollectedMetric;
}

abstract class Family<S> implements PrometheusCollector {
  abstract readonly type: CollectedMetric['type'];
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly #series = new Map<string, { labels: LabelValues; series: S }>();

  constructor(options: { name: string; help: string; labelNames?: readonly string[] }) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
  }

  /** The series of these label values (one per label name), made the first time. Keep it to update it cheaply. */
  series(...labels: LabelValues): S {
    if (labels.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes ${this.labelNames.length} label values, not ${labels.length}`);
    }
    const key = labels.join('\u0000');
    let entry = this.#series.get(key);
    if (entry === undefined) {
      entry = { labels: [...labels], series: this.newSeries() };
      this.#series.set(key, entry);
    }
    return entry.series;
  }

  protected abstract newSeries(): S;

  abstract collect(): CollectedMetric;

  protected *entries(): Iterable<{ labels: Record<string, string>; series: S }> {
    for (const { labels, series } of this.#series.values()) {
      yield { labels: Object.fromEntries(this.labelNames.map((name, index) => [name, labels[index]!])), series };
    }
  }
}

export class Counter extends Family<CounterSeries> {
  readonly type = 'counter';

  protected newSeries(): CounterSeries {
    return new CounterSeries();
  }

  collect(): CollectedMetric {
    const values = [...this.entries()].map(({ labels, series }) => ({ value: series.value, labels }));
    return { name: this.name, help: this.help, type: 'counter', aggregator: 'sum', values };
  }
}

export class Histogram extends Family<HistogramSeries> {
  readonly type = 'histogram';
  readonly bounds: readonly number[];

  constructor(options: { name: string; help: string; labelNames?: readonly string[]; bounds: readonly number[] }) {
    super(options);
    if (options.bounds.some((bound, index) => index > 0 && bound <= options.bounds[index - 1]!)) {
      throw new Error(`${options.name}: bucket bounds must increase`);
    }
    this.bounds = options.bounds;
  }

  protected newSeries(): HistogramSeries {
    return new HistogramSeries(this.bounds);
  }

  /** Buckets cumulative as Prometheus has them, then +Inf, sum and count, for each series. */
  collect(): CollectedMetric {
    const values: CollectedMetric['values'] = [];
    for (const { labels, series } of this.entries()) {
      let cumulative = 0;
      this.bounds.forEach((bound, index) => {
        cumulative += series.counts[index]!;
        values.push({ value: cumulative, labels: { ...labels, le: bound }, metricName: `${this.name}_bucket` });
      });
      values.push({ value: series.count, labels: { ...labels, le: '+Inf' }, metricName: `${this.name}_bucket` });
      values.push({ value: series.sum, labels, metricName: `${this.name}_sum` });
      values.push({ value: series.count, labels, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}

/** A gauge read when scraped: `read` gives each series' labels and value (none: the gauge is absent). */
export class Gauge implements PrometheusCollector {
  readonly type = 'gauge';
  readonly name: string;
  readonly help: string;
  readonly #read: () => Iterable<{ labels: Record<string, string>; value: number }>;

  constructor(options: { name: string; help: string; read: () => Iterable<{ labels: Record<string, string>; value: number }> }) {
    this.name = options.name;
    this.help = options.help;
    this.#read = options.read;
  }

  collect(): CollectedMetric {
    return { name: this.name, help: this.help, type: 'gauge', aggregator: 'sum', values: [...this.#read()] };
  }
}

/**
 * The object prom-client's `Registry.registerMetric` takes for one of ours: the registry reads only a
 * metric's `name`, `type` and `get()` (and calls `reset()` from `resetMetrics`), which this provides;
 * its declared type is the union of prom-client's own classes, hence the one cast here.
 */
export function toPromClientMetric(collector: PrometheusCollector): unknown {
  return {
    name: collector.name,
    type: collector.type,
    get: () => Promise.resolve(collector.collect()),
    reset: () => undefined,
  };
}
