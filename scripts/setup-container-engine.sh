#!/usr/bin/env bash
# Provides a real Docker-API container engine on machines without a Docker
# daemon: Debian's podman serving the Docker API on a unix socket (see
# ../shared/notes/container-engine.md), plus a tiny local test image built from
# a busybox root file system (no registry is reachable). Idempotent; works on a
# fresh Debian machine as root. Prints the DOCKER_HOST value on stdout (empty
# when an engine was already reachable through the docker CLI's defaults).
#
# Environment:
#   ORUN_PODMAN_SOCKET   socket path for the podman service (/run/orun-podman.sock)
#   ORUN_TEST_IMAGE      tag of the test image (localhost/orun-test:latest)
set -euo pipefail
log() { echo "setup-container-engine: $*" >&2; }
die() { log "$*"; exit 1; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
SOCK=${ORUN_PODMAN_SOCKET:-/run/orun-podman.sock}
IMAGE=${ORUN_TEST_IMAGE:-localhost/orun-test:latest}
# Bump when the image's contents change so existing machines rebuild it.
IMAGE_REVISION=2
CONF=/etc/containers/orun-containers.conf
STATE_DIR=${TMPDIR:-/tmp}

apt_updated=""
# Our podman configuration (CONTAINERS_CONF) instead of rewriting the system's.
write_podman_conf() {
  $SUDO mkdir -p /etc/containers
  $SUDO tee "$CONF" >/dev/null <<'CONF'
[containers]
default_ulimits = []        # the sandbox refuses setrlimit from the runtime
netns = "host"              # no CNI networking inside the sandbox
[engine]
runtime = "runc"            # crun fails here: "cgroups in hybrid mode not supported"
cgroup_manager = "cgroupfs" # no systemd
events_logger = "file"
# Podman keeps each API exec session (two conmon processes) this long after the process ended, then
# runs a 'podman container cleanup' for it; the default, 300, mimics Docker's 5 minutes. The docker CLI
# reads an exec's exit status the moment it ends, and the docker runner runs every step as an exec:
# with 300 s, a run left hundreds of conmons behind for minutes and their cleanups then loaded the CPU
# of whatever ran next (benchmarks). 0 is too short: 'docker exec' then fails "no such exec session".
exit_command_delay = 15
CONF
}
# Starts our podman service on $SOCK and waits until it answers.
start_podman_service() {
  write_podman_conf
  $SUDO rm -f "$SOCK"   # a stale socket from a service that died
  log "starting podman system service on $SOCK"
  CONTAINERS_CONF=$CONF nohup podman system service --time=0 "unix://$SOCK" >"$STATE_DIR/orun-podman.log" 2>&1 &
  echo $! >"$STATE_DIR/orun-podman.pid"
  for _ in $(seq 1 100); do
    docker info >/dev/null 2>&1 && break
    sleep 0.2
  done
  docker info >/dev/null 2>&1 || { tail -n 20 "$STATE_DIR/orun-podman.log" >&2 || true; die "podman did not start serving $SOCK"; }
}
apt_install() {
  log "installing $*"
  [ -n "$apt_updated" ] || { $SUDO apt-get update -qq >&2; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >&2
}

if ! command -v docker >/dev/null 2>&1; then
  # orun's docker runner drives the engine through the docker CLI. Debian
  # bookworm ships it only inside docker.io; keep its daemon from starting
  # (there is no init system to run it, and podman serves the API instead).
  policy_created=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    policy_created=1
  fi
  apt_install --no-install-recommends docker.io
  [ -n "$policy_created" ] && $SUDO rm -f /usr/sbin/policy-rc.d
  command -v docker >/dev/null 2>&1 || die "the docker CLI is still missing after installing docker.io"
fi

if [ -z "${DOCKER_HOST:-}" ] && docker info >/dev/null 2>&1; then
  log "a Docker engine is already reachable"
else
  if [ -n "${DOCKER_HOST:-}" ] && docker info >/dev/null 2>&1; then
    log "the engine at $DOCKER_HOST is reachable"
  else
    export DOCKER_HOST=unix://$SOCK
    if ! docker info >/dev/null 2>&1; then
      if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1 || ! command -v busybox >/dev/null 2>&1; then
        apt_install podman runc busybox-static
      fi
      start_podman_service
    fi
  fi
fi

revision=$(docker image inspect -f '{{ index .Config.Labels "io.orun.test-image" }}' "$IMAGE" 2>/dev/null || true)
if [ "$revision" != "$IMAGE_REVISION" ]; then
  command -v busybox >/dev/null 2>&1 || apt_install busybox-static
  log "building $IMAGE (revision $IMAGE_REVISION) from a busybox root file system"
  work=$(mktemp -d)
  root=$work/rootfs
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/workspace"
  chmod 755 "$root" "$root/workspace"
  chmod 1777 "$root/tmp"
  cp "$(command -v busybox)" "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar -C "$root" -cf "$work/rootfs.tar" .
  docker image rm -f "$IMAGE" >/dev/null 2>&1 || true
  docker import \
    --change "LABEL io.orun.test-image=$IMAGE_REVISION" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change 'CMD ["sh"]' \
    "$work/rootfs.tar" "$IMAGE" >&2
  rm -rf "$work"
  revision=$(docker image inspect -f '{{ index .Config.Labels "io.orun.test-image" }}' "$IMAGE")
  [ "$revision" = "$IMAGE_REVISION" ] || die "imported $IMAGE but it lacks its revision label"
fi
# A service can answer `docker info` and still be wedged (every attach fails with "unable to upgrade to
# tcp"): check that a container really runs, and restart our own service once when it does not.
# The probe container is removed by name, and not with --rm: podman 4 leaves a container whose start
# failed (a wedged service) 'Created', and 'docker run --rm' then waits for its removal for ever.
probe_container() {
  local name="orun-engine-probe-$$-$RANDOM" out rc=0
  out=$(docker run --name "$name" "$IMAGE" true 2>&1) || rc=$?
  docker rm --force "$name" >/dev/null 2>&1 || true
  [ "$rc" = 0 ] || { printf '%s\n' "$out" | tail -n 1; return 1; }
}
if ! probe_container >/dev/null; then
  if [ "${DOCKER_HOST:-}" = "unix://$SOCK" ]; then
    log "the engine on $SOCK does not run containers; restarting it"
    pkill -f "podman system service --time=0 unix://$SOCK" >/dev/null 2>&1 || true
    for _ in $(seq 1 50); do pgrep -f "podman system service --time=0 unix://$SOCK" >/dev/null || break; sleep 0.1; done
    start_podman_service
  fi
  why=$(probe_container) || die "the engine cannot run containers: $why"
fi
echo "${DOCKER_HOST:-}"
