import { NAT_PORTS } from '../firewall.js';
import type { ScenarioSpec } from '../scenario.js';
import { finClose } from './fin-close.js';
import { keepaliveSurvives } from './keepalive-survives.js';
import { peerAbort, peerSocketless } from './peer-reset.js';
import { fwDrop } from './stale-flow-drop.js';
import { STALE_IDLE_S, STALE_TIMEOUT_S, staleFlowReset } from './stale-flow-reset.js';
import { SETUP_SCENARIOS } from './setup/index.js';

const forgotten = `idle ${STALE_IDLE_S} s, past the firewall's ${STALE_TIMEOUT_S} s timeout`;

/** Every scenario, in the order `all` runs them. */
export const SCENARIOS: readonly ScenarioSpec[] = [
  staleFlowReset({
    name: 'fw-reset-keepalive',
    summary: `The server's keepalive probe (${forgotten}) is answered by a RST the firewall forges in the client's name; the client never learns (half-open).`,
    ipVersion: 4,
    nat: false,
    trigger: 'keepalive',
  }),
  staleFlowReset({
    name: 'fw-reset-client-write',
    summary: `The client's write (${forgotten}) is answered by a RST the firewall forges in the server's name; the server never sees the data (half-open).`,
    ipVersion: 4,
    nat: false,
    trigger: 'data',
  }),
  fwDrop,
  peerAbort,
  peerSocketless,
  keepaliveSurvives,
  finClose,
  staleFlowReset({
    name: 'nat-reset',
    summary: `The firewall also masquerades the client (SNAT to its server-side address, ports ${NAT_PORTS}): the client's write (${forgotten}) gets a forged RST; the two edges show different client addresses and ports for the same connection.`,
    ipVersion: 4,
    nat: true,
    trigger: 'data',
  }),
  staleFlowReset({
    name: 'fw-reset-keepalive-v6',
    summary: `IPv6 variant of fw-reset-keepalive: the server's keepalive probe (${forgotten}) is answered by a RST the firewall forges in the client's name.`,
    ipVersion: 6,
    nat: false,
    trigger: 'keepalive',
  }),
];

/** Every scenario `npm run lab` knows: the connection-lifetime ones, then issue 24's set-up failures. */
export const ALL_SCENARIOS: readonly ScenarioSpec[] = [...SCENARIOS, ...SETUP_SCENARIOS];

export function findScenario(name: string): ScenarioSpec | undefined {
  return ALL_SCENARIOS.find((s) => s.name === name);
}
