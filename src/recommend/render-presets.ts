import { PRESETS, type MiddleboxPreset } from './presets.js';

export function renderPresetsText(presets: readonly MiddleboxPreset[] = PRESETS): string {
  const lines = ['Middlebox presets for kad recommend --behind (idle timeout, layer, behaviour at expiry, evidence, source)', ''];
  for (const p of presets) {
    const timeout = p.idleTimeoutS === null ? 'no default' : `${p.idleTimeoutS} s`;
    lines.push(`${p.id.padEnd(22)} ${timeout.padStart(10)}  ${p.layer}  ${p.expiry.padEnd(20)}  [${p.evidence}]  ${p.name}`);
    if (p.configurable) lines.push(`${''.padEnd(24)}configurable: ${p.configurable}`);
    lines.push(`${''.padEnd(24)}source: ${p.source}`);
    if (p.note) lines.push(`${''.padEnd(24)}${p.note}`);
  }
  lines.push('', 'L7 proxies terminate TCP: keepalive probes carry no payload and do not reset their idle timers.');
  return `${lines.join('\n')}\n`;
}
