import { Box, Text, useInput } from 'ink';
import type { ExperimentResult } from '../experiment.ts';
import { verdict } from '../report/verdict.ts';
import { KeyHelp } from './KeyHelp.tsx';
import { ResultsTable } from './ResultsTable.tsx';

export interface ResultsScreenProps {
  result: ExperimentResult;
  message?: string;
  onBrowse: () => void;
  onSave: () => void;
}

/** Step 4: the comparison table, the verdict and the way on to browsing. */
export function ResultsScreen({ result, message, onBrowse, onSave }: ResultsScreenProps) {
  useInput((input, key) => {
    if (key.return || input === 'b') onBrowse();
    else if (input === 's') onSave();
  });
  const d = result.dataset;
  return (
    <Box flexDirection="column">
      <Text bold>4 · Results</Text>
      <Text dimColor>
        {d.name}: {d.users.toLocaleString('en')} users × {d.items.toLocaleString('en')} songs ·{' '}
        {result.split.description} · transform {d.transform} · backend {result.backend} ·{' '}
        {result.seconds.toFixed(1)} s
      </Text>
      <Box marginTop={1}>
        <ResultsTable rows={result.results} k={result.k} />
      </Box>
      <Box flexDirection="column" marginTop={1}>
        {verdict(result).map((line) => (
          <Text key={line}>{line}</Text>
        ))}
      </Box>
      {message && <Text color="yellow">{message}</Text>}
      <KeyHelp
        keys={[
          ['Enter', 'browse recommendations'],
          ['s', 'save report'],
          ['q', 'quit'],
        ]}
      />
    </Box>
  );
}
