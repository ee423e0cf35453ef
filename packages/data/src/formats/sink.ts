import type { ItemInfo } from '../dataset.ts';
import { grown } from '../grow.ts';
import { ByteInterner } from '../io/interner.ts';
import { TripletBuilder } from '../triplets.ts';

/** Runs are handed on at this length even if the user goes on, bounding the run buffers. */
const MAX_RUN = 1 << 16;
const POSITION_SCALE = MAX_RUN * 2;

/**
 * Where interaction parsers put what they read: the triplet builder, byte-level id interners
 * for its user and item indexes, and display info by item index for formats that carry it.
 *
 * Logs list a user's lines together, so `add` holds each run of one user's interactions and
 * hands it to the builder sorted by item: the user's CSR row is then already in order and the
 * build skips sorting it (sorting 48M entries row by row there costs far more than here). Call
 * `finish` after the last `add`.
 *
 * @example
 * const sink = new InteractionSink();
 * sink.add(sink.users.internString('u1'), sink.items.internString('s9'), 3);
 * sink.finish();
 * const { matrix } = sink.builder.build();
 */
export class InteractionSink {
  readonly builder: TripletBuilder;
  readonly users: ByteInterner;
  readonly items: ByteInterner;
  readonly itemInfo: (ItemInfo | undefined)[] = [];
  private runUser = -1;
  private runLength = 0;
  private runItems = new Uint32Array(64);
  private runValues = new Float64Array(64);
  private sortKeys = new Float64Array(64);

  /** `label` names the input in errors found while merging repeated pairs. */
  constructor(label?: string) {
    this.builder = new TripletBuilder(undefined, undefined, label);
    this.users = new ByteInterner(this.builder.users);
    this.items = new ByteInterner(this.builder.items);
  }

  add(user: number, item: number, value: number): void {
    if (user !== this.runUser || this.runLength === MAX_RUN) {
      this.flushRun();
      this.runUser = user;
    }
    if (this.runLength === this.runItems.length) this.growRun();
    this.runItems[this.runLength] = item;
    this.runValues[this.runLength] = value;
    this.runLength++;
  }

  /** Hands the last run to the builder. */
  finish(): void {
    this.flushRun();
  }

  private flushRun(): void {
    const n = this.runLength;
    if (n === 0) return;
    const user = this.runUser;
    const items = this.runItems;
    const values = this.runValues;
    const builder = this.builder;
    if (n <= 24) {
      // Insertion sort: the usual run is short, and its items often arrive nearly in order.
      for (let i = 1; i < n; i++) {
        const item = items[i];
        const value = values[i];
        let j = i - 1;
        while (j >= 0 && items[j] > item) {
          items[j + 1] = items[j];
          values[j + 1] = values[j];
          j--;
        }
        items[j + 1] = item;
        values[j + 1] = value;
      }
      for (let i = 0; i < n; i++) builder.addIndices(user, items[i], values[i]);
    } else {
      // Item and position packed in one double (exact below 2^53) let the native numeric sort do the work.
      const keys = this.sortKeys.subarray(0, n);
      for (let i = 0; i < n; i++) keys[i] = items[i] * POSITION_SCALE + i;
      keys.sort();
      for (let i = 0; i < n; i++) {
        const item = Math.floor(keys[i] / POSITION_SCALE);
        builder.addIndices(user, item, values[keys[i] - item * POSITION_SCALE]);
      }
    }
    this.runLength = 0;
  }

  private growRun(): void {
    const size = this.runItems.length * 2;
    this.runItems = grown(this.runItems, size);
    this.runValues = grown(this.runValues, size);
    this.sortKeys = new Float64Array(size);
  }
}
