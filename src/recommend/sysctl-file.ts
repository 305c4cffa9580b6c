import type { KeepaliveSetting } from './keepalive-solver.js';

export interface SysctlFile {
  path: string;
  content: string;
  applyCommand: string;
}

export const SYSCTL_FILE_PATH = '/etc/sysctl.d/60-tcp-keepalive.conf';

/** Host-wide defaults; they only matter for sockets that enable SO_KEEPALIVE without per-socket values. */
export function sysctlFile(setting: KeepaliveSetting, pathDescription: string, toleratedLosses: number): SysctlFile {
  const content = [
    `# ${SYSCTL_FILE_PATH}: written by kad recommend`,
    `# Path: ${pathDescription}; tolerates ${toleratedLosses} lost probe(s).`,
    '# These are defaults for sockets that turn on SO_KEEPALIVE without setting',
    '# TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT; nothing here turns keepalive on.',
    '# Per network namespace: containers and pods need their own copy.',
    `net.ipv4.tcp_keepalive_time = ${setting.timeS}`,
    `net.ipv4.tcp_keepalive_intvl = ${setting.intervalS}`,
    `net.ipv4.tcp_keepalive_probes = ${setting.probes}`,
    '',
  ].join('\n');
  return { path: SYSCTL_FILE_PATH, content, applyCommand: `sysctl -p ${SYSCTL_FILE_PATH}` };
}
