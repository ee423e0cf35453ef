import { render } from 'ink';
import { App } from './App.tsx';
import { AppController } from './store.ts';

/**
 * Runs the interactive app until the user leaves; resolves to the exit code (0, or 130 after
 * Ctrl-C). A SIGINT from outside (kill -INT) stops training the same way as Ctrl-C.
 */
export async function runApp(controller = new AppController()): Promise<number> {
  const instance = render(<App controller={controller} />, { exitOnCtrlC: false });
  const onSignal = () => controller.quit(130);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await instance.waitUntilExit();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    controller.dispose();
  }
  return controller.getSnapshot().exit ?? 0;
}
