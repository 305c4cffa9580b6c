#!/bin/bash
# Holds this build's `kad analyze` (text and --json) on pcapng against a peer
# build's (another worktree, e.g. main before a change to the pcapng reader):
# every bundled capture converted by editcap and by the test helpers
# (test/helpers/pcapng-variants.ts; run `npm run build` first), plus any
# pcapng given on the command line. Output must match byte for byte.
# usage: scripts/pcapng-peer-diff.sh PEER_KAD [FILE.pcapng ...]
set -u
peer=${1:?usage: $0 PEER_KAD [FILE.pcapng ...]}
shift
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files=("$@")
# editcap's conversion, and the variants test/pcapng-walk.test.ts reads (from the built test helpers).
for f in "$here"/captures/*.pcap; do
  b=$(basename "$f" .pcap)
  editcap -F pcapng "$f" "$tmp/$b.pcapng" || exit 2
  files+=("$tmp/$b.pcapng")
done
node --input-type=module -e '
  import { writeFileSync } from "node:fs";
  import { basename, join } from "node:path";
  const { pcapngVariants } = await import(process.argv[1] + "/dist/test/helpers/pcapng-variants.js");
  for (const f of process.argv.slice(3)) {
    for (const [name, bytes] of Object.entries(pcapngVariants(f))) writeFileSync(join(process.argv[2], `${basename(f, ".pcap")}.${name}.pcapng`), bytes);
  }
' "$here" "$tmp" "$here"/captures/*.pcap || exit 2
files+=("$tmp"/*.plain.pcapng "$tmp"/*.mixed.pcapng "$tmp"/*.simple.pcapng)
bad=0
for f in "${files[@]}"; do
  for mode in text --json; do
    args=(analyze "$f")
    [ "$mode" = text ] || args=(analyze --json "$f")
    "$peer" "${args[@]}" >"$tmp/peer.out" 2>&1
    p=$?
    "$here/bin/kad" "${args[@]}" >"$tmp/this.out" 2>&1
    t=$?
    if [ $p -ne $t ] || ! cmp -s "$tmp/peer.out" "$tmp/this.out"; then
      echo "DIFFERS ($mode, exit $p vs $t): $f"
      bad=1
    fi
  done
done
echo "${#files[@]} pcapng files compared, text and --json: $([ $bad = 0 ] && echo identical || echo DIFFERENT)"
exit $bad
