#!/usr/bin/env bash
# Installs everything keepalive-doctor needs on Debian 12 (run as root):
# system packages for capture, the lab and the tests, then npm deps and the build.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libpcap-dev tcpdump tshark nftables iproute2 conntrack tmux procps util-linux python3 make g++ chromium prometheus curl jq)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: missing Debian packages (${missing[*]}); run as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer once, non-interactively.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# prometheus is there for promtool and for the tests' own server (a loopback port, a temp TSDB,
# stopped by PID); nothing here needs or touches the package's system service, running or not.

# cap is a native addon: build it against the Node headers that ship with the system Node.
if [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
# The socket table's fast reader (sock_diag over netlink; Node has no raw netlink). g++ brings
# gcc and the kernel headers (linux-libc-dev). kad falls back to ss, then /proc, without it.
make -s -C native/sockdiag
# kad's own live capture child (--capture-with kad-capture): libpcap read a block at a time, one
# write per batch; cap's per-packet callback falls behind a busy link. libpcap-dev is in APT_PACKAGES.
make -s -C native/capture
# kad fix's hands (pidfd_getfd + setsockopt on another process's sockets; Node has neither call).
make -s -C native/sockopt
