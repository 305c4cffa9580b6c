/*
 * kad-capture: a live libpcap capture written to stdout as a pcap stream
 * (nanosecond kernel timestamps), for `kad live/watch/tui --capture-with
 * kad-capture`. It exists because the in-process path through cap pays a
 * JavaScript callback per packet (cap asks libpcap for one packet at a time
 * and emits each through MakeCallback), and tcpdump -U pays a write() per
 * packet: both fall behind a busy link on two cores. Here the kernel ring is
 * drained a block at a time (no immediate mode: TPACKET_V3 hands over a
 * block when it is full or when the read timeout retires it), and what was
 * read goes to the pipe in one write per batch.
 *
 * Every STATS_EVERY_MS, and once more on exit, it writes libpcap's counters
 * to stderr as one line:
 *   kad-capture: stats received=R dropped=D ifdropped=I
 * (ps_recv, ps_drop, ps_ifdrop: cumulative since the capture started).
 *
 * Usage: kad-capture -i DEV [-s SNAPLEN] [-B BUFFER_BYTES] [-t FLUSH_MS] [FILTER]
 * Exit 0 after SIGINT/SIGTERM or when the reader closes the pipe; otherwise
 * one line on stderr and exit 1 (2 for bad usage).
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATS_EVERY_MS 1000
#define PCAP_MAGIC_NS 0xa1b23c4du

/* Flushed when a record might not fit, and after every dispatch. */
#define OUT_BUFFER_BYTES (4 << 20)
#include "stdout-buffer.h"

static pcap_t *handle;
static volatile sig_atomic_t stopping;

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  (void)user;
  /* With nanosecond precision libpcap's tv_usec holds nanoseconds. */
  uint32_t rec[4] = {(uint32_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec, h->caplen, h->len};
  if (out_len + sizeof rec + h->caplen > sizeof out_buf) flush_out();
  put(rec, sizeof rec);
  put(bytes, h->caplen);
}

static void report_stats(void) {
  struct pcap_stat st;
  if (pcap_stats(handle, &st) != 0) return;
  fprintf(stderr, "kad-capture: stats received=%u dropped=%u ifdropped=%u\n", st.ps_recv, st.ps_drop, st.ps_ifdrop);
  fflush(stderr);
}

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
  if (handle) pcap_breakloop(handle);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what, const char *why) {
  fprintf(stderr, "kad-capture: %s: %s\n", what, why);
  exit(1);
}

int main(int argc, char **argv) {
  const char *dev = NULL;
  int snaplen = 65535, flush_ms = 100;
  long buffer = 16 << 20;
  int opt;
  while ((opt = getopt(argc, argv, "i:s:B:t:")) != -1) {
    if (opt == 'i') dev = optarg;
    else if (opt == 's') snaplen = atoi(optarg);
    else if (opt == 'B') buffer = atol(optarg);
    else if (opt == 't') flush_ms = atoi(optarg);
    else {
      fprintf(stderr, "usage: kad-capture -i DEV [-s SNAPLEN] [-B BUFFER_BYTES] [-t FLUSH_MS] [FILTER]\n");
      return 2;
    }
  }
  if (!dev || snaplen <= 0 || buffer <= 0 || flush_ms <= 0) {
    fprintf(stderr, "usage: kad-capture -i DEV [-s SNAPLEN] [-B BUFFER_BYTES] [-t FLUSH_MS] [FILTER]\n");
    return 2;
  }
  const char *filter = optind < argc ? argv[optind] : "";

  char err[PCAP_ERRBUF_SIZE];
  handle = pcap_create(dev, err);
  if (!handle) die(dev, err);
  pcap_set_snaplen(handle, snaplen);
  pcap_set_buffer_size(handle, (int)buffer);
  /* The block retire timeout: how long a packet may wait in the ring before kad sees it. */
  pcap_set_timeout(handle, flush_ms);
  pcap_set_tstamp_precision(handle, PCAP_TSTAMP_PRECISION_NANO);
  int rc = pcap_activate(handle);
  if (rc < 0) die(dev, pcap_geterr(handle));
  if (*filter) {
    struct bpf_program prog;
    if (pcap_compile(handle, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) die("filter", pcap_geterr(handle));
    if (pcap_setfilter(handle, &prog) != 0) die("filter", pcap_geterr(handle));
    pcap_freecode(&prog);
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  uint32_t header[6] = {PCAP_MAGIC_NS, 2 | (4u << 16), 0, 0, (uint32_t)snaplen, (uint32_t)pcap_datalink(handle)};
  put(header, sizeof header);
  flush_out();

  /*
   * Non-blocking reads after our own poll: libpcap's blocking read on
   * TPACKET_V3 waits for a block however long the link stays quiet, and the
   * counters must still go out every second (the last burst's drops too).
   */
  if (pcap_setnonblock(handle, 1, err) != 0) die(dev, err);
  struct pollfd pfd = {.fd = pcap_get_selectable_fd(handle), .events = POLLIN};
  long long next_stats = now_ms() + STATS_EVERY_MS;
  while (!stopping) {
    long long wait = next_stats - now_ms();
    if (poll(&pfd, 1, wait > 0 ? (int)wait : 0) < 0 && errno != EINTR) die("poll", strerror(errno));
    int n = pcap_dispatch(handle, -1, on_packet, NULL);
    if (n == PCAP_ERROR) die(dev, pcap_geterr(handle));
    if (out_len) flush_out();
    long long t = now_ms();
    if (t >= next_stats) {
      report_stats();
      next_stats = t + STATS_EVERY_MS;
    }
  }
  /* What the ring still holds is read before the last counters. */
  while (pcap_dispatch(handle, -1, on_packet, NULL) > 0) {
  }
  flush_out();
  report_stats();
  pcap_close(handle);
  return 0;
}
