#!/usr/bin/env bash
# Installs the GOV.UK Frontend assets (CSS, JS, fonts, images) into static/govuk-frontend/.
#
# Pinned to 6.3.0 because govuk-frontend-jinja 4.1.0 (our template macros) is the port of that
# release: markup and CSS must come from the same version. The package is fetched with `npm pack`
# (npm verifies the registry's sha512 integrity) and we check the tarball's SHA-256 against the
# value pinned here as well, so a changed upstream tarball fails setup instead of being served.
set -euo pipefail
VERSION=6.3.0
SHA256=3d91fd1353e32e306a8ae493b44ba9c0277348b5dbc08442a3e63d822e516048

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/static/govuk-frontend"
if [ -f "$dest/VERSION" ] && [ "$(cat "$dest/VERSION")" = "$VERSION" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm is needed once to fetch govuk-frontend $VERSION (apt-get install npm)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "govuk-frontend@$VERSION" >/dev/null)
tarball="$work/govuk-frontend-$VERSION.tgz"
actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
if [ "$actual" != "$SHA256" ]; then
  echo "govuk-frontend-$VERSION.tgz has SHA-256 $actual, expected $SHA256: refusing to install it" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"
rm -rf "$dest"
mkdir -p "$dest"
cp "$work/package/dist/govuk/govuk-frontend.min.css" "$work/package/dist/govuk/govuk-frontend.min.js" "$dest/"
cp -r "$work/package/dist/govuk/assets" "$dest/assets"
echo "$VERSION" > "$dest/VERSION"
echo "installed govuk-frontend $VERSION into static/govuk-frontend/"
