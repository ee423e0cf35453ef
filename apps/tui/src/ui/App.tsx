import { basename } from 'node:path';
import { MODEL_NAMES } from '@autorec/core';
import { itemNoun } from '@autorec/data';
import { Box, Text, useApp, useInput } from 'ink';
import { type ReactNode, useEffect, useState, useSyncExternalStore } from 'react';
import { scoreMeaning } from '../models.ts';
import { type DataSource, describeSource } from '../sources.ts';
import { displayWidth, shortenPath } from '../text.ts';
import { BrowseScreen } from './BrowseScreen.tsx';
import { DatasetScreen } from './DatasetScreen.tsx';
import { ModelsScreen } from './ModelsScreen.tsx';
import { ResultsScreen } from './ResultsScreen.tsx';
import { SimilarScreen } from './SimilarScreen.tsx';
import { type AppController, DATASET_OPTIONS, type KeyParams, PARAM_STEPS } from './store.ts';
import { TrainingScreen } from './TrainingScreen.tsx';
import { useTerminalSize } from './useTerminalSize.ts';

const PARAM_LABELS = Object.fromEntries(Object.entries(PARAM_STEPS).map(([k, v]) => [k, v.label])) as Record<
  keyof KeyParams,
  string
>;

/**
 * The data source in `width` cells: a file's folders are shortened first, so its name, format
 * and metadata file stay readable.
 */
function sourceLine(source: DataSource, width: number): string {
  if (source.kind === 'preset' || source.kind === 'files') return describeSource(source);
  if (source.kind === 'cache') return `prepared cache ${shortenPath(source.path, width - 15)}`;
  const name = basename(source.input);
  const meta = source.metadata ? basename(source.metadata.path) : undefined;
  // The longest description that still leaves the file's own name whole.
  const suffixes = meta
    ? [` (${source.format}, names from ${meta})`, ` (${source.format}, + ${meta})`, ` (${source.format})`]
    : [` (${source.format})`];
  const suffix =
    suffixes.find((s) => width - displayWidth(s) >= displayWidth(name) + 8) ?? suffixes[suffixes.length - 1];
  return shortenPath(source.input, Math.max(12, width - displayWidth(suffix))) + suffix;
}

/**
 * The interactive app: renders the controller's snapshot as one screen at a time. Global
 * keys: q quits (stopping training at a batch boundary first), Ctrl-C does the same with exit
 * code 130.
 */
export function App({ controller }: { controller: AppController }) {
  const state = useSyncExternalStore(controller.subscribe, controller.getSnapshot);
  const { exit } = useApp();
  const size = useTerminalSize();
  // One column of padding each side; the header line, and the last line left for the cursor.
  const width = Math.max(20, size.columns - 2);
  const height = Math.max(10, size.rows - 2);
  const [now, setNow] = useState(Date.now());
  const training = state.screen === 'training';

  useEffect(() => {
    if (!training) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [training]);

  useEffect(() => {
    if (state.exit !== undefined) exit();
  }, [state.exit, exit]);

  useInput((input, key) => {
    if (key.ctrl && input === 'c') controller.quit(130);
    else if (input === 'q' && !state.editing) controller.quit(0);
  });

  const source = controller.source();
  // The items' name from the data (Last.fm: artists, MovieLens: movies), once a run has read it.
  const noun = itemNoun(
    state.result?.dataset.format ?? (source.kind === 'file' ? source.format : 'taste-profile'),
  );
  const dataset = sourceLine(source, width - 17);
  const model = controller.currentModel();
  let screen: ReactNode;
  switch (state.screen) {
    case 'dataset':
      screen = (
        <DatasetScreen
          options={DATASET_OPTIONS}
          index={state.datasetIndex}
          path={state.path}
          format={state.format}
          editing={state.editing}
          message={state.message}
          onMove={(d) => controller.moveDataset(d)}
          metadataPath={state.metadataPath}
          field={state.field}
          pathCheck={state.pathCheck}
          metadataCheck={state.metadataCheck}
          width={width}
          onChoose={() => void controller.chooseDataset()}
          onPath={(p) => controller.setPath(p)}
          onMetadataPath={(p) => controller.setMetadataPath(p)}
          onField={() => controller.moveField()}
          onFormat={(d) => controller.cycleFormat(d)}
          onCancel={() => controller.cancelEditing()}
        />
      );
      break;
    case 'models':
      screen = (
        <ModelsScreen
          dataset={dataset}
          models={MODEL_NAMES}
          selected={state.models}
          params={state.params}
          paramLabels={PARAM_LABELS}
          cursor={state.paramIndex}
          message={state.message}
          width={width}
          onMove={(d) => controller.moveModelCursor(d)}
          onToggle={() => controller.toggle()}
          onStep={(d) => controller.step(d)}
          onStart={() => void controller.start()}
          onBack={() => controller.back()}
        />
      );
      break;
    case 'training':
      screen = state.training && (
        <TrainingScreen
          training={state.training}
          dataset={dataset}
          backend={controller.backend()}
          now={now}
          width={width}
          height={height}
          onBack={() => controller.back()}
        />
      );
      break;
    case 'results':
      screen = state.result && (
        <ResultsScreen
          result={state.result}
          message={state.message}
          width={width}
          height={height}
          onBrowse={() => controller.openBrowse()}
          onSave={() => void controller.saveReport()}
        />
      );
      break;
    case 'browse':
      screen = state.browse && (
        <BrowseScreen
          browse={state.browse}
          modelLabel={controller.currentModelLabel() ?? ''}
          models={state.result?.results.length ?? 1}
          scoreName={model ? scoreMeaning(model) : undefined}
          noun={noun}
          width={width}
          height={height}
          onUser={(d) => controller.moveUser(d)}
          onModel={() => controller.nextModel()}
          onMove={(d) => controller.moveSelection(d)}
          onOpen={() => controller.openSelected()}
          onBack={() => controller.back()}
        />
      );
      break;
    case 'similar':
      screen = state.similar && (
        <SimilarScreen
          similar={state.similar}
          modelLabel={controller.currentModelLabel() ?? ''}
          width={width}
          height={height}
          noun={noun}
          onMove={(d) => controller.moveSelection(d)}
          onOpen={() => controller.openSelected()}
          onBack={() => controller.back()}
        />
      );
      break;
  }
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text color="magentaBright" bold>
        autorec <Text dimColor>· U-/I-AutoRec vs SVD on play counts</Text>
      </Text>
      {screen}
    </Box>
  );
}
