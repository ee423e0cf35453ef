import { Box, Text } from 'ink';
import { bar, fitFraction, formatSeconds } from '../progress.ts';
import { displayWidth, fitEnd } from '../text.ts';
import type { ModelRunState } from './store.ts';

const LABEL = 12;
const MIN_BAR = 8;
const MAX_BAR = 30;

/**
 * One model's line: status, a progress bar, epoch and batch, loss, validation RMSE and ETA,
 * fitted to `width` cells: the bar shrinks first, then the least useful details go (batch,
 * then loss, ETA, fold), so the line never wraps.
 */
export function ModelProgress({ model, width = 100 }: { model: ModelRunState; width?: number }) {
  const p = model.progress;
  const fold = model.folds > 1 ? `fold ${model.fold + 1}/${model.folds}` : '';
  const label = fitEnd(model.label, LABEL);
  if (model.status === 'waiting')
    return (
      <Text dimColor>
        {label} waiting{fold ? ` ${fold}` : ''}
      </Text>
    );
  // A stopped model's bar shows the epochs it finished, not the 100% of its last (aborted) event.
  const fraction =
    model.status === 'stopped'
      ? p
        ? model.loss.length / Math.max(1, p.epochs)
        : 0
      : model.status === 'training' && p
        ? fitFraction(p)
        : 1;
  const color = model.status === 'done' ? 'green' : model.status === 'stopped' ? 'yellow' : 'cyan';
  const lastVal = model.validationRmse.filter(Number.isFinite).at(-1);
  // Most important first; dropped from the end until the line fits.
  const parts = [
    p && model.status !== 'stopped'
      ? `epoch ${Math.min(p.epochs, p.phase === 'batch' ? p.epoch + 1 : p.epoch)}/${p.epochs}`
      : '',
    model.status === 'evaluating' ? 'evaluating…' : '',
    model.status === 'done' ? `done in ${formatSeconds(p?.elapsedSeconds)}` : '',
    model.status === 'stopped'
      ? `stopped after ${model.loss.length} of ${p?.epochs ?? '?'} epoch${model.loss.length === 1 ? '' : 's'}`
      : '',
    lastVal !== undefined ? `val RMSE ${lastVal.toFixed(4)}` : '',
    model.status === 'training' && p?.etaSeconds !== undefined ? `ETA ${formatSeconds(p.etaSeconds)}` : '',
    fold,
    p?.loss !== undefined && Number.isFinite(p.loss) ? `loss ${p.loss.toFixed(4)}` : '',
    p && p.phase === 'batch' && model.status === 'training' ? `batch ${p.batch}/${p.batches}` : '',
  ].filter(Boolean);
  const room = width - LABEL - 1;
  let text = parts.join('  ');
  while (parts.length > 1 && room - displayWidth(text) - 1 < MIN_BAR) {
    parts.pop();
    text = parts.join('  ');
  }
  const barWidth = Math.max(MIN_BAR, Math.min(MAX_BAR, room - displayWidth(text) - 1));
  return (
    <Box>
      <Text color={color}>{label} </Text>
      <Text color={color}>{bar(fraction, barWidth)}</Text>
      <Text> {text}</Text>
    </Box>
  );
}
