#!/usr/bin/env bash
# Installs zsh (if needed) for the tests that check a printed command runs as pasted into zsh too (the
# default shell of macOS), not only into sh. Idempotent; needs root or sudo and Debian's packages.
set -euo pipefail
command -v zsh >/dev/null 2>&1 && exit 0
echo "setup-zsh: installing zsh" >&2
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq zsh >&2
