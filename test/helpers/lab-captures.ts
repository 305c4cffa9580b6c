/**
 * The lab scenarios whose captures are bundled in captures/: for each,
 * NAME.client.pcap, NAME.server.pcap and NAME.truth.json.
 */
export const LAB_SCENARIOS = [
  'fw-reset-keepalive',
  'fw-reset-client-write',
  'fw-drop',
  'peer-abort',
  'peer-socketless',
  'keepalive-survives',
  'fin-close',
  'nat-reset',
  'fw-reset-keepalive-v6',
] as const;
