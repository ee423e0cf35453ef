import type { TrainingProgress } from '@autorec/core';
import type { ExperimentEvent } from './experiment.ts';
import type { Output } from './output.ts';

/** `1m 05s`, `42s`, `0.4s`. */
export function formatSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '?';
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  return `${m}m ${String(Math.round(s - 60 * m)).padStart(2, '0')}s`;
}

/** A text progress bar of `width` cells. */
export function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** Share of the whole fit done at this event. */
export function fitFraction(p: TrainingProgress): number {
  if (p.phase === 'done') return 1;
  const total = p.epochs * Math.max(1, p.batches);
  if (total === 0) return 0;
  const done = p.phase === 'epoch' ? p.epoch * p.batches : p.epoch * p.batches + p.batch;
  return done / total;
}

/** One plain line for an epoch: what CI logs and pipes get. */
export function epochLine(label: string, p: TrainingProgress): string {
  const parts = [`${label}: epoch ${p.epoch}/${p.epochs}`];
  if (p.loss !== undefined && Number.isFinite(p.loss)) parts.push(`loss ${p.loss.toFixed(4)}`);
  if (p.trainRmse !== undefined) parts.push(`train RMSE ${p.trainRmse.toFixed(4)}`);
  if (p.validationRmse !== undefined) parts.push(`val RMSE ${p.validationRmse.toFixed(4)}`);
  if (p.validationNdcg !== undefined) parts.push(`val NDCG@10 ${p.validationNdcg.toFixed(4)}`);
  parts.push(formatSeconds(p.elapsedSeconds));
  if (p.etaSeconds !== undefined) parts.push(`ETA ${formatSeconds(p.etaSeconds)}`);
  return parts.join('  ');
}

/** What a model ended with: `20/20 epochs, loss 0.4626, val RMSE 0.9139, 0.4s` (no ETA). */
export function epochSummary(p: TrainingProgress): string {
  const parts = [`${p.epoch}/${p.epochs} epochs`];
  if (p.loss !== undefined && Number.isFinite(p.loss)) parts.push(`loss ${p.loss.toFixed(4)}`);
  if (p.validationRmse !== undefined) parts.push(`val RMSE ${p.validationRmse.toFixed(4)}`);
  if (p.validationNdcg !== undefined) parts.push(`val NDCG@10 ${p.validationNdcg.toFixed(4)}`);
  parts.push(formatSeconds(p.elapsedSeconds));
  return parts.join(', ');
}

/**
 * Prints training progress for the plain CLI, on stderr: in a terminal one live status line
 * (bar, epoch, batch, loss, ETA) and a summary line per finished model; outside a terminal
 * (pipes, CI logs) one plain line per epoch and per stage.
 *
 * @example
 * const progress = new ProgressPrinter(out);
 * await runExperiment(config, { onEvent: (e) => progress.event(e) });
 */
export class ProgressPrinter {
  /** Last epoch event per model, for the summary line in a terminal. */
  private readonly lastEpoch = new Map<string, TrainingProgress>();

  constructor(private readonly out: Output) {}

  event(e: ExperimentEvent): void {
    if (e.type === 'stage') {
      this.out.clearStatus();
      this.out.note(e.message);
      return;
    }
    const fold = e.folds > 1 ? ` [fold ${e.fold + 1}/${e.folds}]` : '';
    const label = `${e.model}${fold}`;
    if (e.stage === 'evaluate') {
      this.out.clearStatus();
      this.out.note(`${label}: evaluating on the test split`);
    } else if (e.stage === 'done') {
      this.out.clearStatus();
      const last = this.lastEpoch.get(label);
      const summary = this.out.interactive && last ? ` — ${epochSummary(last)}` : '';
      this.out.note(`${label}: done (${e.index + 1}/${e.total})${summary}`);
    } else if (e.training) this.training(label, e.training);
  }

  /** Progress of one model's fit (also used by `autorec train`). */
  training(label: string, p: TrainingProgress): void {
    if (p.phase === 'epoch') {
      this.lastEpoch.set(label, p);
      if (this.out.interactive)
        this.out.status(`${label} ${bar(fitFraction(p), 24)} ${epochLine(label, p).slice(label.length + 2)}`);
      else this.out.note(epochLine(label, p));
    } else if (p.phase === 'batch' && this.out.interactive) {
      const loss = p.loss !== undefined && Number.isFinite(p.loss) ? `  loss ${p.loss.toFixed(4)}` : '';
      this.out.status(
        `${label} ${bar(fitFraction(p), 24)} epoch ${p.epoch + 1}/${p.epochs} batch ${p.batch}/${p.batches}${loss}  ETA ${formatSeconds(p.etaSeconds)}`,
      );
    }
  }
}
