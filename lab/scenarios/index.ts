import { NAT_PORTS } from '../firewall.js';
import type { ScenarioSpec } from '../scenario.js';
import { fwResetDroppedAbort } from './dropped-abort.js';
import { finClose } from './fin-close.js';
import { keepaliveSurvives } from './keepalive-survives.js';
import { peerAbort, peerSocketless } from './peer-reset.js';
import { fwDrop } from './stale-flow-drop.js';
import { STALE_IDLE_S, STALE_TIMEOUT_S, staleFlowReset } from './stale-flow-reset.js';
import { ADDR } from '../topology.js';
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

/** What the client's packets arrive with at the server: one hop (the firewall) from Linux's 64. */
const CLIENT_TTL_AT_SERVER = 63;

/**
 * Issue 21's adversarial cases: forgeries that look like the real thing from
 * one side. Their captures break the simple picture the lab's capture checks
 * hold (one TTL per far endpoint, forgeries at TTL 64), so they are checked by
 * test/lab/accuracy-lab.test.ts, not with SCENARIOS.
 */
export const ACCURACY_SCENARIOS: readonly ScenarioSpec[] = [
  fwResetDroppedAbort,
  staleFlowReset({
    name: 'fw-reset-ttl-disguised',
    summary: `As fw-reset-keepalive, but the firewall sets its RSTs' TTL to ${CLIENT_TTL_AT_SERVER} (nftables ip ttl set), what the client's packets arrive with at the server: the forgery has the client's hop count.`,
    ipVersion: 4,
    nat: false,
    trigger: 'keepalive',
    disguise: { forgedTtl: CLIENT_TTL_AT_SERVER },
    notes: [
      `The forged RST reaches the server with TTL ${CLIENT_TTL_AT_SERVER}, like every packet of the real client (${ADDR[4].client}).`,
    ],
  }),
  staleFlowReset({
    name: 'synproxy-reset-keepalive',
    summary: `nftables synproxy answers the client's handshake for the server; the server's keepalive (${forgotten}) gets a RST from the firewall with the TTL and IP ID (0) of the proxied handshake, while the client's data arrives a hop farther.`,
    ipVersion: 4,
    nat: false,
    trigger: 'keepalive',
    disguise: { synproxy: true },
    notes: [
      "At the server the client's SYN and handshake ACK come from the firewall (TTL 64, IP ID 0), its data from the client (TTL 63).",
    ],
  }),
  staleFlowReset({
    name: 'synproxy-reset-client-write',
    summary: `nftables synproxy answers the client's handshake for the server; the client's write (${forgotten}) gets a RST from the firewall with the TTL and IP ID (0) of the proxy's SYN-ACK, while the server's data arrives a hop farther.`,
    ipVersion: 4,
    nat: false,
    trigger: 'data',
    disguise: { synproxy: true },
    notes: ["At the client the SYN-ACK comes from the firewall (TTL 64, IP ID 0), the server's data from the server (TTL 63)."],
  }),
];

/** Every scenario `npm run lab` knows, in the order `all` runs them: the connection-lifetime ones, issue 21's adversarial ones, then issue 24's set-up failures. */
export const ALL_SCENARIOS: readonly ScenarioSpec[] = [...SCENARIOS, ...ACCURACY_SCENARIOS, ...SETUP_SCENARIOS];

export function findScenario(name: string): ScenarioSpec | undefined {
  return ALL_SCENARIOS.find((s) => s.name === name);
}
