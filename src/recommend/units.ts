/** Human-scale rates for the cost section: "1,667", "3.3 k", "2.4 Mb/s". */

export function groupThousands(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatRate(perSecond: number, unit: string): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(1)} M${unit}`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k${unit}`;
  return `${perSecond < 10 ? perSecond.toFixed(2) : Math.round(perSecond)} ${unit}`;
}

export function formatBits(bitsPerSecond: number): string {
  if (bitsPerSecond >= 1e9) return `${(bitsPerSecond / 1e9).toFixed(2)} Gb/s`;
  if (bitsPerSecond >= 1e6) return `${(bitsPerSecond / 1e6).toFixed(2)} Mb/s`;
  if (bitsPerSecond >= 1e3) return `${(bitsPerSecond / 1e3).toFixed(1)} kb/s`;
  return `${Math.round(bitsPerSecond)} b/s`;
}
