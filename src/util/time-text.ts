// lightFormat handles the numeric tokens used here and loads a tenth of format's modules (no locale): ~20 ms less start-up.
import { lightFormat } from 'date-fns/lightFormat';

/** Epoch seconds with 9 decimals: full ns precision, as tshark's frame.time_epoch prints it. */
export function epochText(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

/**
 * Local wall-clock time with the given number of fraction digits; date-fns
 * formats the calendar part (Date has only ms resolution, so the fraction is
 * ours).
 */
export function wallClockText(sec: number, nsec: number, digits = 6, withDate = true): string {
  const date = new Date(sec * 1000);
  // A corrupt capture can carry times a Date cannot hold (year 580 000): show them raw rather than fail.
  if (Number.isNaN(date.getTime()) || date.getFullYear() > 9999) return `epoch ${epochText(sec, nsec)}`;
  const base = lightFormat(date, withDate ? 'yyyy-MM-dd HH:mm:ss' : 'HH:mm:ss');
  if (digits <= 0) return base;
  return `${base}.${String(nsec).padStart(9, '0').slice(0, digits)}`;
}

/** Human duration: "850 µs", "12.3 ms", "4.20 s", "6 min 2 s", "2 h 4 min". */
export function durationText(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const s = Math.abs(seconds);
  const sign = seconds < 0 ? '-' : '';
  if (s < 1e-3) return `${sign}${(s * 1e6).toFixed(0)} µs`;
  if (s < 1) return `${sign}${(s * 1e3).toFixed(s < 0.01 ? 2 : 1)} ms`;
  if (s < 60) return `${sign}${s.toFixed(s < 10 ? 2 : 1)} s`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  if (s < 86400) return `${sign}${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${sign}${Math.floor(s / 86400)} d ${Math.round((s % 86400) / 3600)} h`;
}
