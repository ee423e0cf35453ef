import { Box, Static, Text, useInput } from 'ink';
import { formatSeconds } from '../progress.ts';
import { CurveChart } from './CurveChart.tsx';
import { KeyHelp } from './KeyHelp.tsx';
import { ModelProgress } from './ModelProgress.tsx';
import type { TrainingState } from './store.ts';

export interface TrainingScreenProps {
  training: TrainingState;
  dataset: string;
  /** Compute backends, once known. */
  backend: string;
  now: number;
  /** Esc after a failed or stopped run: back to the models screen. */
  onBack: () => void;
}

/**
 * Step 3: live training. Finished models move into `<Static>` (printed once, above the live
 * area); the running ones show a progress bar; charts of validation RMSE (every model) and
 * of the current model's loss grow each epoch.
 */
export function TrainingScreen({ training, dataset, backend, now, onBack }: TrainingScreenProps) {
  const ended = Boolean(training.error) || training.stage === 'stopped';
  useInput(
    (_input, key) => {
      if (key.escape) onBack();
    },
    { isActive: ended },
  );
  const done = training.models.filter((m) => m.status === 'done');
  const live = training.models.filter((m) => m.status !== 'done');
  const current = training.models.find((m) => m.status === 'training' || m.status === 'evaluating');
  return (
    <Box flexDirection="column">
      <Static items={done}>
        {(m) => (
          <Box key={m.label}>
            <ModelProgress model={m} />
          </Box>
        )}
      </Static>
      <Text bold>3 · Training</Text>
      <Text dimColor>
        {dataset} · backend {backend} · {formatSeconds((now - training.startedAt) / 1000)} elapsed
      </Text>
      <Box flexDirection="column" marginTop={1}>
        {live.map((m) => (
          <ModelProgress key={m.label} model={m} />
        ))}
      </Box>
      <Text color={training.error ? 'red' : training.stopping ? 'yellow' : undefined}>
        {training.error ? `failed: ${training.error}` : training.stage}
      </Text>
      <CurveChart
        title="Validation RMSE per epoch"
        series={training.models.map((m) => ({ label: m.label, values: m.validationRmse }))}
      />
      {current && (
        <CurveChart
          title={`Training loss of ${current.label}`}
          series={[{ label: current.label, values: current.loss }]}
          height={5}
        />
      )}
      <KeyHelp
        keys={
          ended
            ? [
                ['Esc', 'back to the models'],
                ['q', 'quit'],
              ]
            : [['q / Ctrl-C', 'stop at the next batch and quit']]
        }
      />
    </Box>
  );
}
