import type { KeepaliveSolution } from './keepalive-solver.js';
import type { RedisKeepalive } from './redis-keepalive.js';
import { niceFloor } from './keepalive-solver.js';

export interface Snippet {
  id: string;
  title: string;
  language: string;
  code: string;
  notes: string[];
}

/** libuv hard-codes these (src/unix/tcp.c, since libuv 1.35 / Node 12.17). */
export const NODE_KEEPINTVL_S = 1;
export const NODE_KEEPCNT = 10;
/** gRPC core server defaults (grpc/grpc doc/keepalive.md). */
export const GRPC_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS = 300_000;
export const GRPC_MAX_PING_STRIKES = 2;
/** grpc-go raises a client keepalive Time below this (internal.KeepaliveMinPingTime). */
export const GRPC_GO_MIN_CLIENT_TIME_S = 10;

export function buildSnippets(sol: KeepaliveSolution, redis: RedisKeepalive | null): Snippet[] {
  return [
    nodeSnippet(sol),
    goSnippet(sol),
    javaSnippet(sol),
    pythonSnippet(sol),
    postgresSnippet(sol),
    redisSnippet(sol, redis),
    grpcSnippet(sol),
    windowsSnippet(sol),
    kubernetesSnippet(sol),
  ];
}

function nodeSnippet(sol: KeepaliveSolution): Snippet {
  const t = sol.keepalive.timeS;
  const detection = t + NODE_KEEPCNT * NODE_KEEPINTVL_S;
  return {
    id: 'node',
    title: 'Node.js (net.Socket, http.Agent)',
    language: 'javascript',
    code: [
      `const KEEPALIVE_MS = ${t * 1000};`,
      '// Jitter so pooled sockets do not probe in lockstep; Node truncates to whole',
      '// seconds and anything under 1000 ms silently leaves the kernel default (2 h).',
      'const delay = Math.max(1000, Math.round(KEEPALIVE_MS * (1 - Math.random() * 0.1)));',
      'socket.setKeepAlive(true, delay);',
      '// Servers: net.createServer({ keepAlive: true, keepAliveInitialDelay: KEEPALIVE_MS }, ...)',
      '// HTTP clients: new http.Agent({ keepAlive: true, keepAliveMsecs: KEEPALIVE_MS })',
    ].join('\n'),
    notes: [
      `libuv fixes TCP_KEEPINTVL at ${NODE_KEEPINTVL_S} s and TCP_KEEPCNT at ${NODE_KEEPCNT}: only the idle time is yours. ` +
        `Dead-peer detection is therefore about ${t} + ${NODE_KEEPCNT} × ${NODE_KEEPINTVL_S} = ${detection} s, and the path bound still holds because 1 s ≤ ${sol.keepalive.intervalS} s.`,
      'setKeepAlive(true, ms) passes ms/1000 truncated to the kernel; below 1000 ms it becomes 0 and the socket keeps tcp_keepalive_time (checked on Node 20: a 500 ms request showed a 119 min timer).',
      `Node has no TCP_USER_TIMEOUT: bound stuck writes yourself. socket.setTimeout(${sol.userTimeoutMs}) only emits 'timeout'; destroy the socket in that handler.`,
    ],
  };
}

function goSnippet(sol: KeepaliveSolution): Snippet {
  const { timeS, intervalS, probes } = sol.keepalive;
  return {
    id: 'go',
    title: 'Go 1.23+ (net.KeepAliveConfig)',
    language: 'go',
    code: [
      'cfg := net.KeepAliveConfig{',
      `\tEnable: true, Idle: ${timeS} * time.Second, Interval: ${intervalS} * time.Second, Count: ${probes},`,
      '}',
      'd := net.Dialer{',
      '\tKeepAliveConfig: cfg,',
      '\tControl: func(network, address string, c syscall.RawConn) error {',
      '\t\tvar serr error',
      '\t\tif err := c.Control(func(fd uintptr) {',
      `\t\t\tserr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, ${sol.userTimeoutMs})`,
      '\t\t}); err != nil {',
      '\t\t\treturn err',
      '\t\t}',
      '\t\treturn serr',
      '\t},',
      '}',
      '// Servers: net.ListenConfig{KeepAliveConfig: cfg}',
    ].join('\n'),
    notes: [
      'Without a config Go already enables keepalive at 15 s / 15 s / 9 probes (zero fields mean those defaults; -1 leaves the OS value).',
      'unix is golang.org/x/sys/unix; TCP_USER_TIMEOUT is Linux-only.',
    ],
  };
}

function javaSnippet(sol: KeepaliveSolution): Snippet {
  const { timeS, intervalS, probes } = sol.keepalive;
  return {
    id: 'java',
    title: 'Java 11+ (jdk.net.ExtendedSocketOptions)',
    language: 'java',
    code: [
      'socket.setKeepAlive(true);',
      `socket.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, ${timeS});`,
      `socket.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, ${intervalS});`,
      `socket.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, ${probes});`,
      '// SocketChannel: channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true) and the same three options.',
    ].join('\n'),
    notes: [
      "The JDK has no TCP_USER_TIMEOUT option; Netty's epoll transport exposes EpollChannelOption.TCP_USER_TIMEOUT.",
      'For comparison, the MongoDB Java driver uses 120 s / 10 s / 9.',
    ],
  };
}

function pythonSnippet(sol: KeepaliveSolution): Snippet {
  const { timeS, intervalS, probes } = sol.keepalive;
  return {
    id: 'python',
    title: 'Python (socket module, Linux)',
    language: 'python',
    code: [
      's.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)',
      `s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, ${timeS})`,
      `s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, ${intervalS})`,
      `s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, ${probes})`,
      `s.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, ${sol.userTimeoutMs})`,
    ].join('\n'),
    notes: [
      `macOS: the idle option is TCP_KEEPALIVE (0x10, seconds) instead of TCP_KEEPIDLE.`,
      `Windows: s.ioctl(socket.SIO_KEEPALIVE_VALS, (1, ${timeS * 1000}, ${intervalS * 1000})); the probe count is fixed at 10.`,
    ],
  };
}

function postgresSnippet(sol: KeepaliveSolution): Snippet {
  const { timeS, intervalS, probes } = sol.keepalive;
  const params = `keepalives=1 keepalives_idle=${timeS} keepalives_interval=${intervalS} keepalives_count=${probes} tcp_user_timeout=${sol.userTimeoutMs}`;
  return {
    id: 'postgresql',
    title: 'PostgreSQL: libpq connection string and server settings',
    language: 'ini',
    code: [
      `# client (libpq keyword/value)`,
      `host=db.example.com dbname=app ${params}`,
      `# client (URI)`,
      `postgresql://db.example.com/app?${params.replaceAll(' ', '&')}`,
      `# server, postgresql.conf (covers connections the server accepts)`,
      `tcp_keepalives_idle = ${timeS}`,
      `tcp_keepalives_interval = ${intervalS}`,
      `tcp_keepalives_count = ${probes}`,
      `tcp_user_timeout = ${sol.userTimeoutMs}    # ms, PostgreSQL 12+`,
    ].join('\n'),
    notes: ['Server GUCs of 0 mean "use the OS default" (on Windows 0 means 2 h).'],
  };
}

function redisSnippet(sol: KeepaliveSolution, redis: RedisKeepalive | null): Snippet {
  if (redis === null) {
    return {
      id: 'redis',
      title: 'Redis (redis.conf)',
      language: 'ini',
      code: '# no tcp-keepalive value fits this path',
      notes: ['Redis derives interval and count from one number; none fits the bound here.'],
    };
  }
  const notes = [
    `Redis sets TCP_KEEPIDLE = ${redis.tcpKeepaliveS}, TCP_KEEPINTVL = ${redis.tcpKeepaliveS}/3 = ${redis.intervalS} and TCP_KEEPCNT = 3 itself (anet.c), ` +
      `so the value is re-derived: ${redis.tcpKeepaliveS} + ${redis.losses} × ${redis.intervalS} + ${sol.slackS} s slack ≤ ${sol.pathTimeoutS} s. Detection ≈ ${redis.detectionS} s.`,
    'The default since Redis 3.2.1 is 300.',
  ];
  if (redis.losses < sol.toleratedLosses) notes.push('Redis fixes the probe count at 3, so it tolerates at most 2 lost probes.');
  return { id: 'redis', title: 'Redis (redis.conf)', language: 'ini', code: `tcp-keepalive ${redis.tcpKeepaliveS}`, notes };
}

function grpcSnippet(sol: KeepaliveSolution): Snippet {
  const { timeS, intervalS, probes } = sol.keepalive;
  const timeMs = timeS * 1000;
  const timeoutMs = Math.max(1000, probes * intervalS * 1000);
  // The server must accept pings at least as often as the jittered client sends them.
  const serverMinS = Math.max(1, niceFloor(timeS * 0.8));
  const notes = [
    'HTTP/2 PINGs carry payload, so they refresh L4 middleboxes like any data (not AWS ALB: it ignores PING frames).',
    `gRPC servers reject pings that arrive more often than every ${GRPC_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS / 60000} min without data: after ${GRPC_MAX_PING_STRIKES} strikes ` +
      'they send GOAWAY ENHANCE_YOUR_CALM "too_many_pings" and the client drops the connection.' +
      (timeMs < GRPC_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS ? ` A ${timeS} s ping therefore needs the server settings above.` : ''),
    'gRPC core sends at most GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA (default 2) pings on an idle connection unless it is set to 0.',
  ];
  if (timeS < GRPC_GO_MIN_CLIENT_TIME_S) {
    notes.push(
      `grpc-go raises a client Time below ${GRPC_GO_MIN_CLIENT_TIME_S} s to ${GRPC_GO_MIN_CLIENT_TIME_S} s, which is too late for this path: rely on TCP keepalive on the underlying socket instead.`,
    );
  }
  return {
    id: 'grpc',
    title: 'gRPC keepalive pings (core channel args and grpc-go)',
    language: 'text',
    code: [
      '# client channel args (C++, Python, Ruby, C#/Grpc.Core, PHP)',
      `GRPC_ARG_KEEPALIVE_TIME_MS = ${timeMs}`,
      `GRPC_ARG_KEEPALIVE_TIMEOUT_MS = ${timeoutMs}`,
      'GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS = 1',
      'GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA = 0',
      '# server channel args',
      `GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS = ${serverMinS * 1000}`,
      'GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS = 1',
      '# grpc-go',
      `grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: ${timeS} * time.Second, Timeout: ${timeoutMs / 1000} * time.Second, PermitWithoutStream: true})`,
      `grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: ${serverMinS} * time.Second, PermitWithoutStream: true})`,
    ].join('\n'),
    notes,
  };
}

function windowsSnippet(sol: KeepaliveSolution): Snippet {
  const { timeS, intervalS } = sol.keepalive;
  return {
    id: 'windows',
    title: 'Windows (SIO_KEEPALIVE_VALS)',
    language: 'c',
    code: [
      `struct tcp_keepalive ka = { 1, ${timeS * 1000}, ${intervalS * 1000} };  /* onoff, keepalivetime ms, keepaliveinterval ms */`,
      'WSAIoctl(sock, SIO_KEEPALIVE_VALS, &ka, sizeof ka, NULL, 0, &bytes, NULL, NULL);',
    ].join('\n'),
    notes: [`The probe count is fixed at 10 on Vista and later: detection ≈ ${timeS} + 10 × ${intervalS} = ${timeS + 10 * intervalS} s.`],
  };
}

function kubernetesSnippet(sol: KeepaliveSolution): Snippet {
  const { timeS, intervalS, probes } = sol.keepalive;
  return {
    id: 'kubernetes',
    title: 'Kubernetes pod (namespaced sysctls)',
    language: 'yaml',
    code: [
      'securityContext:',
      '  sysctls:',
      '  - name: net.ipv4.tcp_keepalive_time',
      `    value: "${timeS}"`,
      '  - name: net.ipv4.tcp_keepalive_intvl',
      `    value: "${intervalS}"`,
      '  - name: net.ipv4.tcp_keepalive_probes',
      `    value: "${probes}"`,
    ].join('\n'),
    notes: ['The keepalive sysctls are per network namespace (kernel ≥ 4.5) and "safe" sysctls since Kubernetes 1.29.'],
  };
}
