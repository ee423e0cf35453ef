/** The message of anything thrown, as a user should read it (Comlink passes errors as Error). */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export function count(n: number): string {
  return n.toLocaleString('en');
}

/** Metric values: 4 decimals, or a dash when missing. */
export function metric(v: number | undefined | null): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(4) : '–';
}

export function percent(share: number, digits = 1): string {
  return `${(share * 100).toFixed(digits)}%`;
}

export function seconds(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 ** 2).toFixed(1)} MB`;
}

/** Saves bytes or text as a file the user downloads (nothing leaves the machine). */
export function download(name: string, data: Uint8Array | string, type = 'application/octet-stream') {
  const blob = new Blob([data as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
