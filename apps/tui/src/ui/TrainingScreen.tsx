import { Box, Text, useInput } from 'ink';
import { formatSeconds } from '../progress.ts';
import { truncateEnd } from '../text.ts';
import { CHART_CHROME, CurveChart } from './CurveChart.tsx';
import { KeyHelp } from './KeyHelp.tsx';
import { ModelProgress } from './ModelProgress.tsx';
import type { TrainingState } from './store.ts';

export interface TrainingScreenProps {
  training: TrainingState;
  dataset: string;
  /** Compute backends, once known. */
  backend: string;
  now: number;
  /** Cells across and lines down the screen may use. */
  width: number;
  height: number;
  /** Esc after a failed or stopped run: back to the models screen. */
  onBack: () => void;
}

/** Tallest a chart gets, however tall the terminal. */
const MAX_PLOT = 16;
/** Shortest plot worth drawing. */
const MIN_PLOT = 3;

/**
 * Step 3: live training. Every model has one line (bar, epoch, loss, ETA); below, validation
 * RMSE per epoch for every model and, when the terminal is tall enough, the current model's
 * training loss. Everything is sized to the terminal: the charts take the lines left over
 * and the width there is, so the header never scrolls away.
 */
export function TrainingScreen({
  training,
  dataset,
  backend,
  now,
  width,
  height,
  onBack,
}: TrainingScreenProps) {
  const ended = Boolean(training.error) || training.stage === 'stopped';
  useInput(
    (_input, key) => {
      if (key.escape) onBack();
    },
    { isActive: ended },
  );
  const current = training.models.find((m) => m.status === 'training' || m.status === 'evaluating');
  const epochs = Math.max(0, ...training.models.map((m) => m.progress?.epochs ?? 0));
  const elapsed = formatSeconds((now - training.startedAt) / 1000);
  const status = training.error ? `failed: ${training.error}` : training.stage;
  // Title, dataset line, blank, one line per model, the stage line, then the key line.
  const fixed = 3 + training.models.length + 1 + 2;
  const room = height - fixed;
  const chartLines = (n: number) => Math.min(MAX_PLOT, Math.floor(room / n) - CHART_CHROME - 1);
  const charts = current && chartLines(2) >= MIN_PLOT + 2 ? 2 : chartLines(1) >= MIN_PLOT ? 1 : 0;
  const plot = charts > 0 ? chartLines(charts) : 0;
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>3 · Training</Text> on {truncateEnd(dataset, Math.max(10, width - 17))}
      </Text>
      <Text dimColor>{truncateEnd(`${elapsed} elapsed · backend ${backend}`, width)}</Text>
      <Box flexDirection="column" marginTop={1}>
        {training.models.map((m) => (
          <ModelProgress key={m.label} model={m} width={width} />
        ))}
      </Box>
      {/* A failure message may run to several lines; the stage is always one. */}
      <Text color={training.error ? 'red' : training.stopping ? 'yellow' : undefined}>
        {training.error ? status : truncateEnd(status, width)}
      </Text>
      {charts > 0 && (
        <Box marginTop={1}>
          <CurveChart
            title="Validation RMSE per epoch"
            series={training.models.map((m) => ({ label: m.label, values: m.validationRmse }))}
            width={width}
            height={plot}
            epochs={epochs}
          />
        </Box>
      )}
      {charts > 1 && current && (
        <Box marginTop={1}>
          <CurveChart
            title={`Training loss of ${current.label}`}
            series={[{ label: current.label, values: current.loss }]}
            width={width}
            height={plot}
            epochs={current.progress?.epochs}
          />
        </Box>
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
