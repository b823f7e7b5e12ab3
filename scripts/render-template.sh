#!/usr/bin/env bash
# Renders template/ the way `cargo generate --path template --name sio-template-check` would
# (plain substitution of its Liquid placeholders, with sio_path pointing at this checkout), then
# checks the result: rustfmt, clippy (-D warnings) and cargo test.
#
# Checked against the real thing once (2026-12-06): cargo-generate 0.23.14 (`cargo install --locked
# cargo-generate --version "~0.23"`; 0.26 needs rustc 1.97), run as `cargo generate --path template
# --name sio-template-check --define sio_path=$PWD --vcs none`, produced the same files, byte
# for byte, as this script, but for the Cargo.lock this script adds. cargo-generate is not run in
# CI: it takes about 5.5 CPU-minutes to compile.
#
# Usage: ./scripts/render-template.sh [DIR]
#   DIR   where to render (must not exist yet); default: a temporary directory, removed at the end.
# Honours CARGO_TARGET_DIR (default: this checkout's target/, so the dependencies are reused).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

name=sio-template-check
crate=${name//-/_}

if [[ $# -gt 0 ]]; then
  dest=$1
  if [[ -e $dest ]]; then
    echo "render-template: $dest already exists" >&2
    exit 1
  fi
  mkdir -p "$dest"
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  dest=$tmp/$name
  mkdir "$dest"
fi

# cargo-generate copies every file but its own configuration (and never target/ or .git/).
tar -C template --exclude=./cargo-generate.toml --exclude=./target --exclude=./.git -cf - . \
  | tar -C "$dest" -xf -

# The placeholders: cargo-generate's own ({{project-name}}, {{crate_name}}) and the template's
# (cargo-generate.toml: sio_path).
find "$dest" -type f -print0 | xargs -0 sed -i \
  -e "s|{{project-name}}|$name|g" \
  -e "s|{{crate_name}}|$crate|g" \
  -e "s|{{sio_path}}|$root|g"

# Anything left is a placeholder this script does not know, or Liquid it cannot render.
if grep -rnE '\{\{|\{%' "$dest"; then
  echo "render-template: unrendered Liquid above; teach scripts/render-template.sh about it" >&2
  exit 1
fi

# The workspace's lockfile pins the same versions of the shared dependencies (cargo drops the
# entries the new project does not need).
cp Cargo.lock "$dest/Cargo.lock"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cd "$dest"
echo "== template: rendered into $dest"
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test
