/*
 * The scale harness's traffic for section (d): N TCP streams writing 64-byte
 * segments round-robin (TCP_NODELAY) for S seconds, paced to R packets/s on
 * the wire as the sending interface's own counters count them (tx + rx: the
 * data and the ACKs coming back), or flat out when R is 0. In C because the
 * Python sender it replaces spent the CPU the capture under test needed:
 * on two cores every cycle the sender burns is one the capture does not get.
 *
 * Usage: paced-sender HOST PORT N SECONDS RATE DEV   → prints {"writes": W}
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long counter(const char *dev, const char *name) {
  char path[256];
  snprintf(path, sizeof path, "/sys/class/net/%s/statistics/%s", dev, name);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  long long v = 0;
  if (fscanf(f, "%lld", &v) != 1) v = 0;
  fclose(f);
  return v;
}

static long long wire(const char *dev) { return counter(dev, "tx_packets") + counter(dev, "rx_packets"); }

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: paced-sender HOST PORT N SECONDS RATE DEV\n");
    return 2;
  }
  int n = atoi(argv[3]);
  double secs = atof(argv[4]), rate = atof(argv[5]);
  const char *dev = argv[6];
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  inet_pton(AF_INET, argv[1], &sa.sin_addr);
  int *fds = calloc(n, sizeof *fds);
  for (int i = 0; i < n; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fds[i], (struct sockaddr *)&sa, sizeof sa) != 0) {
      perror("connect");
      return 1;
    }
  }
  char buf[64];
  memset(buf, 'k', sizeof buf);
  long long w0 = wire(dev), writes = 0;
  double t0 = now(), end = t0 + secs;
  for (;;) {
    double t = now();
    if (t >= end) break;
    long long k;
    if (rate > 0) {
      double shortBy = rate * (t - t0) - (double)(wire(dev) - w0);
      if (shortBy < 2) {
        usleep(200);
        continue;
      }
      /* Each segment draws about half an ACK back: write half of what the wire is short of. */
      k = (long long)(shortBy / 2) + 1;
      if (k > 256) k = 256;
    } else {
      k = 64LL * n;
    }
    long long per = k / n > 0 ? k / n : 1;
    for (int i = 0; i < n; i++)
      for (long long j = 0; j < per; j++)
        if (send(fds[i], buf, sizeof buf, 0) < 0) {
          perror("send");
          return 1;
        }
    writes += per * n;
  }
  for (int i = 0; i < n; i++) close(fds[i]);
  printf("{\"writes\": %lld}\n", writes);
  return 0;
}
