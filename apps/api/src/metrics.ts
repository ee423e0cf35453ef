import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus metrics of one app instance (its own registry, so tests can build several). */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'autorec_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'autorec_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly served = new Gauge({
    name: 'autorec_model_served',
    help: '1 for the model version that serves (label production)',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'autorec_events_ingested_total',
    help: 'Listening events stored (duplicates not counted)',
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'autorec_events_duplicate_total',
    help: 'Listening events ignored because their eventId was already stored',
    registers: [this.registry],
  });
  readonly jobs = new Histogram({
    name: 'autorec_training_job_duration_seconds',
    help: 'Training job durations by model and final status',
    labelNames: ['model', 'status'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }

  setServed(model: string, version: number): void {
    this.served.reset();
    this.served.set({ model, version: String(version) }, 1);
  }
}
