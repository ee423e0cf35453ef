import { Box, Text } from 'ink';
import { type DisplayItem, songLabel } from '../models.ts';
import { displayWidth, fitEnd, padStartCells } from '../text.ts';

export interface SongListProps {
  title: string;
  items: readonly DisplayItem[];
  /** Highlighted row, or -1 for none. */
  selected?: number;
  /** What the number column shows: a score or a play count. */
  value: (item: DisplayItem) => string;
  /** Cells across, and how many rows of items fit (the list scrolls to keep `selected` in view). */
  width: number;
  rows?: number;
}

/**
 * A titled list of songs as `Artist — Title` with a right-aligned number. Labels are cut and
 * padded by display width, so 浜崎あゆみ or an emoji keeps its number in the column.
 */
export function SongList({ title, items, selected = -1, value, width, rows = items.length }: SongListProps) {
  const shown = Math.max(1, rows);
  const start = Math.max(0, Math.min(selected - shown + 1, items.length - shown));
  const visible = items.slice(start, start + shown);
  const values = visible.map(value);
  const valueWidth = Math.max(0, ...values.map(displayWidth));
  const rankWidth = String(start + visible.length).length;
  const room = Math.max(4, width - rankWidth - valueWidth - 2);
  return (
    <Box flexDirection="column" width={width}>
      <Text bold underline>
        {fitEnd(title, width).trimEnd()}
      </Text>
      {items.length === 0 && <Text dimColor>(none)</Text>}
      {visible.map((item, i) => (
        <Text key={item.id} inverse={start + i === selected}>
          {String(start + i + 1).padStart(rankWidth)} {fitEnd(songLabel(item), room)}{' '}
          {padStartCells(values[i], valueWidth)}
        </Text>
      ))}
    </Box>
  );
}
