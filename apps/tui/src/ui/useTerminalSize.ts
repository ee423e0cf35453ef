import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

/** The terminal's size in cells. */
export interface TerminalSize {
  columns: number;
  rows: number;
}

/** What a terminal that does not say its size is taken to be (the classic VT100). */
export const FALLBACK_SIZE: TerminalSize = { columns: 80, rows: 24 };

function sizeOf(stdout: NodeJS.WriteStream | undefined): TerminalSize {
  return {
    columns: stdout?.columns || FALLBACK_SIZE.columns,
    rows: stdout?.rows || FALLBACK_SIZE.rows,
  };
}

/**
 * The terminal's size, re-read on every `resize` so the screens lay themselves out again when
 * the window changes (Ink redraws on resize but does not re-render components).
 */
export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = () => setSize(sizeOf(stdout));
    onResize();
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
