import { Box, Text } from 'ink';
import { type DisplayItem, songLabel } from '../models.ts';

export interface SongListProps {
  title: string;
  items: readonly DisplayItem[];
  /** Highlighted row, or -1 for none. */
  selected?: number;
  /** What the number column shows: a score or a play count. */
  value: (item: DisplayItem) => string;
  width: number;
}

/** A titled list of songs as `Artist — Title` with a right-aligned number. */
export function SongList({ title, items, selected = -1, value, width }: SongListProps) {
  return (
    <Box flexDirection="column" width={width} marginRight={2}>
      <Text bold underline>
        {title}
      </Text>
      {items.length === 0 && <Text dimColor>(none)</Text>}
      {items.map((item, i) => {
        const v = value(item);
        const label = songLabel(item);
        const room = Math.max(8, width - v.length - 5);
        const text = label.length > room ? `${label.slice(0, room - 1)}…` : label.padEnd(room);
        return (
          <Text key={item.id} inverse={i === selected}>
            {String(i + 1).padStart(2)} {text} {v}
          </Text>
        );
      })}
    </Box>
  );
}
