import { MODEL_NAMES } from '@autorec/core';
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { type ReactNode, useEffect, useState, useSyncExternalStore } from 'react';
import { describeSource } from '../sources.ts';
import { BrowseScreen } from './BrowseScreen.tsx';
import { DatasetScreen } from './DatasetScreen.tsx';
import { ModelsScreen } from './ModelsScreen.tsx';
import { ResultsScreen } from './ResultsScreen.tsx';
import { SimilarScreen } from './SimilarScreen.tsx';
import { type AppController, DATASET_OPTIONS, type KeyParams, PARAM_STEPS } from './store.ts';
import { TrainingScreen } from './TrainingScreen.tsx';

const PARAM_LABELS = Object.fromEntries(Object.entries(PARAM_STEPS).map(([k, v]) => [k, v.label])) as Record<
  keyof KeyParams,
  string
>;

/**
 * The interactive app: renders the controller's snapshot as one screen at a time. Global
 * keys: q quits (stopping training at a batch boundary first), Ctrl-C does the same with exit
 * code 130.
 */
export function App({ controller }: { controller: AppController }) {
  const state = useSyncExternalStore(controller.subscribe, controller.getSnapshot);
  const { exit } = useApp();
  const { stdout } = useStdout();
  const width = stdout?.columns ?? 100;
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

  const dataset = describeSource(controller.source());
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
          onChoose={() => controller.chooseDataset()}
          onPath={(p) => controller.setPath(p)}
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
          onBack={() => controller.back()}
        />
      );
      break;
    case 'results':
      screen = state.result && (
        <ResultsScreen
          result={state.result}
          message={state.message}
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
          width={width}
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
