#!/usr/bin/env bash
# demo.sh — what `make demo` runs after the build (in ./build):
#   1. a throwaway OpenLDAP slapd seeded with the demo company
#      (tests/fixtures/demo-company.ldif) on ldap://localhost:3890 and
#      ldaps://localhost:6360, with its own CA copied to build/demo/ca.pem and
#      the service password in build/demo/bind.pw (mode 0600);
#   2. idbridged with config/ and mappings/ (socket and store under build/demo);
#   3. a tour with the example fleet host through the plugin: several users
#      sign in and show their profiles and decisions, then one failure of each
#      kind shows the message a user would see.
# Then it says how to try more and keeps serving until Ctrl-C; with --oneshot
# it exits after the tour. Everything it started is stopped by PID on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${IDB_BUILD_DIR:-$root/build}
demo=$build/demo
oneshot=0
case "${1:-}" in
  --oneshot) oneshot=1 ;;
  "") ;;
  *) echo "usage: $0 [--oneshot]" >&2; exit 2 ;;
esac

slapd_bin=$build/tests/support/idb-test-slapd
daemon_bin=$build/bridge/daemon/idbridged
plugin=$build/plugins/src/libidbridge.so.1
host_bin=$build/plugins/examples/fleet-host
ctl_bin=$build/bridge/ctl/idbridgectl

missing=()
for f in "$slapd_bin" "$daemon_bin" "$plugin" "$host_bin"; do
  [[ -e $f ]] || missing+=("${f#"$root"/}")
done
if ((${#missing[@]})); then
  echo "demo: not built yet: ${missing[*]}" >&2
  echo "demo: run 'make demo' (it builds first), or cmake --build build" >&2
  exit 1
fi
for tool in slapd slapadd openssl; do
  command -v "$tool" >/dev/null || { echo "demo: '$tool' is missing: run .ci/install-deps demo" >&2; exit 1; }
done

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'echo; echo "demo: stopping"; exit 0' INT TERM

rm -rf "$demo"
mkdir -p "$demo"
chmod 700 "$demo"
# TEST DATA: the fixture's service account password, not a product default.
printf 'svc-test-password\n' >"$demo/bind.pw"
chmod 600 "$demo/bind.pw"

echo "== starting a throwaway OpenLDAP directory (demo company)"
"$slapd_bin" --ldif "$root/tests/fixtures/demo-company.ldif" --dir "$demo/slapd" \
  --port 3890 --ldaps-port 6360 --env-file "$demo/slapd.env" >"$demo/slapd.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
  [[ -s $demo/slapd.env ]] && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "demo: slapd did not start:" >&2; cat "$demo/slapd.out" >&2; exit 1; }
  sleep 0.1
done
[[ -s $demo/slapd.env ]] || { echo "demo: slapd did not become ready" >&2; exit 1; }
# shellcheck disable=SC1091
. "$demo/slapd.env"
cp "$CA_FILE" "$demo/ca.pem"
echo "   $LDAPS_URI and $LDAP_URI (StartTLS), CA build/demo/ca.pem, slapd pid $SLAPD_PID"

echo "== starting idbridged with config/idbridge.yaml"
config=$root/config/idbridge.yaml
if [[ $build != "$root/build" ]]; then
  # Another build dir (IDB_BUILD_DIR): the same config with its build/demo paths moved there.
  sed -e "s|\.\./build/demo/|$demo/|g" -e "s|\.\./mappings/|$root/mappings/|g" "$config" >"$demo/idbridge.yaml"
  config=$demo/idbridge.yaml
fi
sock=$demo/idbridged.sock
"$daemon_bin" --config "$config" --socket "$sock" --store "$demo/idbridge.db" \
  2>"$demo/idbridged.log" &
pids+=($!)
for _ in $(seq 1 300); do
  [[ -S $sock ]] && break
  kill -0 "${pids[1]}" 2>/dev/null || { echo "demo: idbridged did not start:" >&2; cat "$demo/idbridged.log" >&2; exit 1; }
  sleep 0.1
done
[[ -S $sock ]] || { echo "demo: idbridged did not open $sock" >&2; cat "$demo/idbridged.log" >&2; exit 1; }
echo "   socket build/demo/idbridged.sock, log build/demo/idbridged.log"

host() {  # host USER PASSWORD [--check SPEC]...
  local user=$1 pw=$2
  shift 2
  echo
  echo "-- fleet-host --user $user $*"
  # The host lists every permission; the tour shows the first few of them.
  { printf '%s\n' "$pw" | "$host_bin" --plugin "$plugin" --socket "$sock" --user "$user" "$@" 2>&1 || true; } |
    awk '/^  [a-z_]+\.[a-z_]+ +(yes$|all |only )/ { if (++n <= 6) print; else hidden++; next }
         { if (hidden) { printf "  ... (%d more)\n", hidden; hidden = 0 } print }'
}

echo
echo "== the tour: sign-ins through the plugin"
host fiona fiona-pw --check "purchase_orders.approve#Depot B Stores" --check "work_orders.delete@Depot B"
host sam sam-pw --check "work_orders.edit@Depot B" --check "work_orders.edit@Depot A"
echo "   (sam is a Mechanic only through the nested group Senior Mechanics -> Mechanics)"
host carl carl-pw --check "work_orders.delete@Depot A" --check "work_orders.edit@Depot A"
echo "   (carl is a contractor: 'contractors-never-delete' denies every *.delete)"

echo
echo "== one failure of each kind (the user sees the message; the history keeps the precise reason)"
host mike wrong-password
echo "   ^ wrong password"
host ghost whatever
echo "   ^ unknown user: the same message as a wrong password"
host dave dave-pw
echo "   ^ disabled account (ppolicy lock in the directory)"
host nora nora-pw
echo "   ^ no profile mapped (nora is only in Cafeteria)"
host mike ""
echo "   ^ empty password: refused before any LDAP bind"

cat <<EOT

== try more
   printf 'alice-pw\n' | $host_bin --plugin $plugin --socket $sock --user alice --check work_orders.view_incomplete@'Depot A'
   $ctl_bin explain --config $config --user sam --group "cn=Senior Mechanics,ou=Groups,dc=fleet,dc=test"
   $ctl_bin check --live --config $config
   LDAPTLS_CACERT=$demo/ca.pem ldapsearch -x -H $LDAPS_URI -D cn=idbridge-svc,ou=Services,dc=fleet,dc=test -w svc-test-password -b dc=fleet,dc=test '(uid=sam)' memberOf
   Users (password = <user>-pw): fiona mike sam dana ben carl alice audrey eve deep; dave is disabled, nora has no profile.
EOT

if ((oneshot)); then
  echo "demo: --oneshot: stopping everything it started"
  exit 0
fi
echo "demo: serving until Ctrl-C"
wait "${pids[1]}"
