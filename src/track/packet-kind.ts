import type { PacketKind } from '../model/analysis-report.js';

export * from './kind-codes.js';

export const KIND_NAMES: readonly PacketKind[] = [
  'syn',
  'synack',
  'data',
  'ack',
  'keepalive',
  'keepalive_ack',
  'zero_window_probe',
  'retransmission',
  'fin',
  'rst',
  'duplicate',
];
