/*
 * kad-sockdiag: dumps this network namespace's TCP sockets through sock_diag
 * (NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, inet_diag_req_v2 with tcp_info),
 * which is what ss itself asks the kernel, and writes one fixed-size binary
 * record per socket to stdout. Node has no raw netlink; this keeps the hot
 * path free of text: at 200 k sockets ss spends most of its time printing
 * and kad most of its time parsing what ss printed.
 *
 * Output: an 8-byte header ("KSD1", u32 record size), then records in host
 * byte order. The layout is src/sockets/sockdiag-layout.ts; keep both equal.
 *
 * Usage: kad-sockdiag [-s STATE_MASK]   (hex bit mask of TCP states, bit n =
 * state n as in /proc/net/tcp; default: every state but LISTEN)
 * Exit 0 on success; otherwise one line on stderr and exit 1.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RECORD_BYTES 88
#define TCP_LISTEN_STATE 10
#define OUT_BUFFER_BYTES (1 << 20)
#include "stdout-buffer.h"


static void fail(const char *what) {
  fprintf(stderr, "kad-sockdiag: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void emit(const struct inet_diag_msg *m, int len) {
  unsigned char r[RECORD_BYTES];
  memset(r, 0, sizeof r);
  r[0] = m->idiag_family == AF_INET6 ? 6 : 4;
  r[1] = m->idiag_state;
  r[2] = m->idiag_timer;
  r[3] = m->idiag_retrans;
  uint16_t sport = ntohs(m->id.idiag_sport), dport = ntohs(m->id.idiag_dport);
  memcpy(r + 4, &sport, 2);
  memcpy(r + 6, &dport, 2);
  /* idiag_src/dst are 4 __be32 words: network byte order, as an address is written. */
  memcpy(r + 8, m->id.idiag_src, 16);
  memcpy(r + 24, m->id.idiag_dst, 16);
  memcpy(r + 40, &m->idiag_expires, 4);
  memcpy(r + 44, &m->idiag_rqueue, 4);
  memcpy(r + 48, &m->idiag_wqueue, 4);
  memcpy(r + 52, &m->idiag_uid, 4);
  memcpy(r + 56, &m->idiag_inode, 4);
  uint64_t cookie = (uint64_t)m->id.idiag_cookie[0] | ((uint64_t)m->id.idiag_cookie[1] << 32);
  memcpy(r + 64, &cookie, 8);

  int rest = len - (int)NLMSG_LENGTH(sizeof *m);
  for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, rest); a = RTA_NEXT(a, rest)) {
    if (a->rta_type != INET_DIAG_INFO) continue;
    /* Older kernels send a shorter tcp_info: take what came, zero the rest. */
    struct tcp_info ti;
    memset(&ti, 0, sizeof ti);
    size_t n = RTA_PAYLOAD(a) < sizeof ti ? RTA_PAYLOAD(a) : sizeof ti;
    memcpy(&ti, RTA_DATA(a), n);
    if (n < offsetof(struct tcp_info, tcpi_last_ack_recv) + 4) continue;
    r[60] = 1;
    r[61] = ti.tcpi_probes;
    r[62] = ti.tcpi_backoff;
    memcpy(r + 72, &ti.tcpi_last_data_sent, 4);
    memcpy(r + 76, &ti.tcpi_last_data_recv, 4);
    memcpy(r + 80, &ti.tcpi_last_ack_recv, 4);
    memcpy(r + 84, &ti.tcpi_rtt, 4);
  }
  put(r, sizeof r);
}

static void dump(int fd, int family, uint32_t states) {
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
  } q;
  memset(&q, 0, sizeof q);
  q.nlh.nlmsg_len = sizeof q;
  q.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  q.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  q.nlh.nlmsg_seq = (uint32_t)family;
  q.req.sdiag_family = (uint8_t)family;
  q.req.sdiag_protocol = IPPROTO_TCP;
  q.req.idiag_states = states;
  q.req.idiag_ext = 1 << (INET_DIAG_INFO - 1);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, &q, sizeof q, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) fail("sendto");

  static char buf[1 << 17];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("recv");
    }
    int len = (int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) return;
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        /* No IPv6 in this kernel: an empty family, not a failure. */
        if (family == AF_INET6 && (e->error == -ENOENT || e->error == -EAFNOSUPPORT)) return;
        errno = -e->error;
        fail("sock_diag dump");
      }
      if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) emit(NLMSG_DATA(h), (int)h->nlmsg_len);
    }
  }
}

int main(int argc, char **argv) {
  uint32_t states = 0xfff & ~(1u << TCP_LISTEN_STATE);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
      char *end;
      states = (uint32_t)strtoul(argv[++i], &end, 16);
      if (*end != '\0') {
        fprintf(stderr, "kad-sockdiag: -s wants a hex state mask, got \"%s\"\n", argv[i]);
        return 2;
      }
    } else {
      fprintf(stderr, "kad-sockdiag: usage: kad-sockdiag [-s STATE_MASK_HEX]\n");
      return 2;
    }
  }
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) fail("socket(NETLINK_SOCK_DIAG)");
  int rcvbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  put("KSD1", 4);
  uint32_t size = RECORD_BYTES;
  put(&size, 4);
  dump(fd, AF_INET, states);
  dump(fd, AF_INET6, states);
  flush_out();
  close(fd);
  return 0;
}
