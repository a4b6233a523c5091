#!/usr/bin/env bash
# Provides a real Docker-API container engine on machines without a Docker
# daemon: Debian's podman serving the Docker API on a unix socket (see
# ../shared/notes/container-engine.md), plus a tiny local test image built from
# a busybox root file system (no registry is reachable). Idempotent. Prints the
# DOCKER_HOST value on stdout.
set -euo pipefail
log() { echo "setup-container-engine: $*" >&2; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
SOCK=/run/orun-podman.sock
IMAGE=localhost/orun-test:latest

if docker info >/dev/null 2>&1; then
  log "a Docker engine is already reachable"
else
  if ! command -v podman >/dev/null 2>&1 || ! command -v busybox >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
    log "installing podman runc busybox-static"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq podman runc busybox-static >&2
  fi
  $SUDO mkdir -p /etc/containers
  $SUDO tee /etc/containers/containers.conf >/dev/null <<'CONF'
[containers]
default_ulimits = []
netns = "host"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  if ! DOCKER_HOST=unix://$SOCK docker info >/dev/null 2>&1; then
    log "starting podman system service on $SOCK"
    nohup podman system service --time=0 unix://$SOCK >/tmp/orun-podman.log 2>&1 &
    echo $! > /tmp/orun-podman.pid
    for _ in $(seq 1 50); do
      DOCKER_HOST=unix://$SOCK docker info >/dev/null 2>&1 && break
      sleep 0.2
    done
  fi
  export DOCKER_HOST=unix://$SOCK
fi

if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "building $IMAGE from a busybox root file system"
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/workspace"
  cp "$(command -v busybox)" "$root/bin/busybox"
  for c in sh echo cat ls env pwd true false sleep mkdir rm touch test printf grep sed wc id head tail; do ln -s busybox "$root/bin/$c"; done
  tar -C "$root" -cf "$root.tar" .
  if command -v podman >/dev/null 2>&1; then podman import "$root.tar" "$IMAGE" >&2; else docker import "$root.tar" "$IMAGE" >&2; fi
  rm -rf "$root" "$root.tar"
fi
echo "${DOCKER_HOST:-}"
