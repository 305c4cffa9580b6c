/*
 * Buffered writes to stdout for kad's native helpers: each writes records
 * into one static buffer and hands them to kad's pipe a buffer at a time.
 * Define OUT_BUFFER_BYTES before including. A reader that went away (kad
 * stopped: EPIPE) ends the program quietly; any other write error exits 1.
 */
#ifndef KAD_STDOUT_BUFFER_H
#define KAD_STDOUT_BUFFER_H
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char out_buf[OUT_BUFFER_BYTES];
static size_t out_len;

static void flush_out(void) {
  size_t off = 0;
  while (off < out_len) {
    ssize_t n = write(1, out_buf + off, out_len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      exit(errno == EPIPE ? 0 : 1);
    }
    off += (size_t)n;
  }
  out_len = 0;
}

static void put(const void *p, size_t n) {
  if (out_len + n > sizeof out_buf) flush_out();
  memcpy(out_buf + out_len, p, n);
  out_len += n;
}
#endif
