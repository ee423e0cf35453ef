import { Box, Text } from 'ink';
import { bar, fitFraction, formatSeconds } from '../progress.ts';
import type { ModelRunState } from './store.ts';

/** One model's line: status, a progress bar, epoch and batch, loss, validation RMSE and ETA. */
export function ModelProgress({ model, width = 20 }: { model: ModelRunState; width?: number }) {
  const p = model.progress;
  const fold = model.folds > 1 ? ` fold ${model.fold + 1}/${model.folds}` : '';
  if (model.status === 'waiting')
    return (
      <Text dimColor>
        {model.label.padEnd(12)} waiting{fold}
      </Text>
    );
  const fraction = model.status === 'training' && p ? fitFraction(p) : 1;
  const color = model.status === 'done' ? 'green' : 'cyan';
  const lastVal = model.validationRmse.filter(Number.isFinite).at(-1);
  return (
    <Box>
      <Text color={color}>{model.label.padEnd(12)} </Text>
      <Text color={color}>{bar(fraction, width)}</Text>
      <Text>
        {' '}
        {p ? `epoch ${Math.min(p.epochs, p.phase === 'batch' ? p.epoch + 1 : p.epoch)}/${p.epochs}` : ''}
        {p && p.phase === 'batch' ? ` batch ${p.batch}/${p.batches}` : ''}
        {p?.loss !== undefined && Number.isFinite(p.loss) ? `  loss ${p.loss.toFixed(4)}` : ''}
        {lastVal !== undefined ? `  val RMSE ${lastVal.toFixed(4)}` : ''}
        {model.status === 'training' && p?.etaSeconds !== undefined
          ? `  ETA ${formatSeconds(p.etaSeconds)}`
          : ''}
        {model.status === 'evaluating' ? '  evaluating…' : ''}
        {model.status === 'done' ? `  done in ${formatSeconds(p?.elapsedSeconds)}` : ''}
        {fold}
      </Text>
    </Box>
  );
}
