/*
 * kad-sockopt: reads, and optionally sets, the keepalive options of another
 * process's TCP sockets, through duplicates taken with pidfd_getfd (Linux
 * >= 5.6; root or CAP_SYS_PTRACE over the target). Socket options belong to
 * the socket, not to the descriptor: what is set on the duplicate applies
 * to the owner's socket at once, with no restart.
 *
 * Usage: kad-sockopt PID [-s KEEPALIVE,IDLE,INTVL,CNT,USER_TIMEOUT_MS] FD...
 *   -s sets the given values ('-' leaves one as it is) on every FD that is a
 *   connected TCP socket; listening sockets are never changed.
 *
 * Output, one line per FD, tab-separated:
 *   FD ok KEEPALIVE IDLE INTVL CNT USER_TIMEOUT_MS        (the values now, read back after any change)
 *   FD before KEEPALIVE IDLE INTVL CNT USER_TIMEOUT_MS    (with -s: the values before, on the line above)
 *   FD skip REASON                                        (not TCP, listening, or gone: EBADF)
 *   FD error ERRNO_NAME MESSAGE                           (this socket failed; others go on)
 * Exit: 0 done; 2 usage; 3 no such process; 4 the kernel has no pidfd_open/pidfd_getfd;
 * 5 not permitted (root/CAP_SYS_PTRACE, Yama ptrace_scope); 1 anything else. One line on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define FIELDS 5
static const int LEVEL[FIELDS] = {SOL_SOCKET, IPPROTO_TCP, IPPROTO_TCP, IPPROTO_TCP, IPPROTO_TCP};
static const int NAME[FIELDS] = {SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT};

static int exit_for(int err) {
  if (err == ESRCH) return 3;
  if (err == ENOSYS) return 4;
  if (err == EPERM || err == EACCES) return 5;
  return 1;
}

static int read_all(int fd, int v[FIELDS]) {
  for (int i = 0; i < FIELDS; i++) {
    socklen_t len = sizeof v[i];
    if (getsockopt(fd, LEVEL[i], NAME[i], &v[i], &len) != 0) return -1;
  }
  return 0;
}

static void print_values(int target, const char *tag, const int v[FIELDS]) {
  printf("%d\t%s\t%d\t%d\t%d\t%d\t%d\n", target, tag, v[0], v[1], v[2], v[3], v[4]);
}

static int parse_set(const char *arg, int want[FIELDS], int has[FIELDS]) {
  const char *p = arg;
  for (int i = 0; i < FIELDS; i++) {
    char *end;
    if (*p == '-') {
      has[i] = 0;
      end = (char *)p + 1;
    } else {
      long v = strtol(p, &end, 10);
      if (end == p || v < 0 || v > 0x7fffffff) return -1;
      want[i] = (int)v;
      has[i] = 1;
    }
    if (i < FIELDS - 1 && *end != ',') return -1;
    if (i == FIELDS - 1 && *end != '\0') return -1;
    p = end + 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *usage = "usage: kad-sockopt PID [-s KEEPALIVE,IDLE,INTVL,CNT,USER_TIMEOUT_MS] FD...";
  if (argc < 3) {
    fprintf(stderr, "%s\n", usage);
    return 2;
  }
  int pid = atoi(argv[1]);
  int first = 2, want[FIELDS] = {0}, has[FIELDS] = {0}, setting = 0;
  if (strcmp(argv[2], "-s") == 0) {
    if (argc < 5 || parse_set(argv[3], want, has) != 0) {
      fprintf(stderr, "%s\n", usage);
      return 2;
    }
    setting = 1;
    first = 4;
  }
  if (pid <= 0) {
    fprintf(stderr, "%s\n", usage);
    return 2;
  }
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    int err = errno;
    fprintf(stderr, "kad-sockopt: pidfd_open %d: %s\n", pid, strerror(err));
    return exit_for(err);
  }
  for (int a = first; a < argc; a++) {
    int target = atoi(argv[a]);
    int fd = (int)syscall(SYS_pidfd_getfd, pidfd, target, 0);
    if (fd < 0) {
      int err = errno;
      if (err == EBADF) {
        printf("%d\tskip\tgone\n", target);
        continue;
      }
      /* Permission and kernel support are the same for every descriptor: stop at the first. */
      if (err == EPERM || err == EACCES || err == ENOSYS || err == ESRCH) {
        fflush(stdout);
        fprintf(stderr, "kad-sockopt: pidfd_getfd %d/%d: %s\n", pid, target, strerror(err));
        return exit_for(err);
      }
      printf("%d\terror\t%s\t%s\n", target, strerrorname_np(err), strerror(err));
      continue;
    }
    int type = 0, proto = 0, listening = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
      printf("%d\tskip\tnot-a-socket\n", target);
      close(fd);
      continue;
    }
    len = sizeof proto;
    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len);
    len = sizeof listening;
    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
    if (type != SOCK_STREAM || proto != IPPROTO_TCP) {
      printf("%d\tskip\tnot-tcp\n", target);
      close(fd);
      continue;
    }
    if (listening) {
      printf("%d\tskip\tlistening\n", target);
      close(fd);
      continue;
    }
    int v[FIELDS];
    if (read_all(fd, v) != 0) {
      printf("%d\terror\t%s\t%s\n", target, strerrorname_np(errno), strerror(errno));
      close(fd);
      continue;
    }
    if (setting) {
      print_values(target, "before", v);
      int failed = 0;
      for (int i = 0; i < FIELDS && !failed; i++) {
        if (!has[i] || want[i] == v[i]) continue;
        if (setsockopt(fd, LEVEL[i], NAME[i], &want[i], sizeof want[i]) != 0) failed = errno;
      }
      if (failed) {
        printf("%d\terror\t%s\t%s\n", target, strerrorname_np(failed), strerror(failed));
        close(fd);
        continue;
      }
      if (read_all(fd, v) != 0) {
        printf("%d\terror\t%s\t%s\n", target, strerrorname_np(errno), strerror(errno));
        close(fd);
        continue;
      }
    }
    print_values(target, "ok", v);
    close(fd);
  }
  close(pidfd);
  return 0;
}
