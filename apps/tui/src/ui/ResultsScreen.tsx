import { verdict } from '@autorec/core';
import { itemNoun } from '@autorec/data';
import { Box, Text, useInput } from 'ink';
import type { ExperimentResult } from '../experiment.ts';
import { displayWidth } from '../text.ts';
import { KeyHelp } from './KeyHelp.tsx';
import { ResultsTable } from './ResultsTable.tsx';

export interface ResultsScreenProps {
  result: ExperimentResult;
  message?: string;
  /** Cells across and lines down the screen may use. */
  width?: number;
  height?: number;
  onBrowse: () => void;
  onSave: () => void;
}

/** Lines `text` takes when wrapped at `width` (Ink wraps at word ends, so a tenth is added for the ragged edge). */
function linesOf(text: string, width: number): number {
  return Math.max(1, Math.ceil((displayWidth(text) * 1.1) / Math.max(1, width)));
}

/** The first of `lines` that fit in `room` lines at `width`. */
function fitLines(lines: readonly string[], width: number, room: number): string[] {
  const out: string[] = [];
  let used = 0;
  for (const line of lines) {
    used += linesOf(line, width);
    if (used > room) break;
    out.push(line);
  }
  return out;
}

/**
 * Step 4: the comparison table, the verdict and the way on to browsing. The table drops
 * columns to fit the width; the verdict's sentences are shown while they fit the height.
 */
export function ResultsScreen({
  result,
  message,
  width = 100,
  height = 40,
  onBrowse,
  onSave,
}: ResultsScreenProps) {
  useInput((input, key) => {
    if (key.return || input === 'b') onBrowse();
    else if (input === 's') onSave();
  });
  const d = result.dataset;
  const about =
    `${d.name}: ${d.users.toLocaleString('en')} users × ${d.items.toLocaleString('en')} ${itemNoun(d.format)} · ` +
    `${result.split.description} · transform ${d.transform} · backend ${result.backend} · ${result.seconds.toFixed(1)} s`;
  // Title, about, blank, table (head, rows, note), blank, message, blank and key help.
  const used = 1 + linesOf(about, width) + 1 + result.results.length + 2 + 1 + (message ? 1 : 0) + 2;
  const all = verdict(result);
  let sentences = fitLines(all, width, height - used);
  if (sentences.length < all.length) sentences = fitLines(all, width, height - used - 1);
  return (
    <Box flexDirection="column">
      <Text bold>4 · Results</Text>
      <Text dimColor>{about}</Text>
      <Box marginTop={1}>
        <ResultsTable rows={result.results} k={result.k} width={width} />
      </Box>
      <Box flexDirection="column" marginTop={1}>
        {sentences.map((line) => (
          <Text key={line}>{line}</Text>
        ))}
        {sentences.length < all.length && (
          <Text dimColor>(the rest of the verdict is in the saved report: press s)</Text>
        )}
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
