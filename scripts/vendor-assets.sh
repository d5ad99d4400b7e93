#!/usr/bin/env bash
# Fetches the map's JavaScript/CSS/fonts from the npm registry into static/vendor/ (run by hand,
# results committed): the pages then load nothing from the internet. Versions are pinned here.
set -euo pipefail
cd "$(dirname "$0")/.."
out=static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch() {  # package@version -> $work/<package>/
  local dir="$work/${1%@*}"
  mkdir -p "$dir"
  (cd "$work" && npm pack --silent "$1" >/dev/null && tar -xzf ./*.tgz -C "$dir" --strip-components=1 && rm ./*.tgz)
}
rm -rf "$out" && mkdir -p "$out"/{leaflet,jquery,bootstrap,fontawesome,awesome-markers,vectorgrid,heat,groupedlayercontrol,chartjs}
fetch leaflet@1.9.3
cp -r "$work/leaflet/dist/leaflet.js" "$work/leaflet/dist/leaflet.css" "$work/leaflet/dist/images" "$out/leaflet/"
fetch jquery@3.7.1
cp "$work/jquery/dist/jquery.min.js" "$out/jquery/"
fetch bootstrap@5.2.2
cp "$work/bootstrap/dist/js/bootstrap.bundle.min.js" "$work/bootstrap/dist/css/bootstrap.min.css" "$out/bootstrap/"
fetch @fortawesome/fontawesome-free@6.2.0
mkdir -p "$out/fontawesome/css"
cp "$work/@fortawesome/fontawesome-free/css/all.min.css" "$out/fontawesome/css/"
cp -r "$work/@fortawesome/fontawesome-free/webfonts" "$out/fontawesome/"
fetch leaflet.awesome-markers@2.0.5
cp "$work/leaflet.awesome-markers/dist/leaflet.awesome-markers.js" \
   "$work/leaflet.awesome-markers/dist/leaflet.awesome-markers.css" "$out/awesome-markers/"
cp -r "$work/leaflet.awesome-markers/dist/images" "$out/awesome-markers/"
fetch leaflet.vectorgrid@1.3.0
cp "$work/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js" "$out/vectorgrid/"
fetch leaflet.heat@0.2.0
cp "$work/leaflet.heat/dist/leaflet-heat.js" "$out/heat/"
fetch leaflet-groupedlayercontrol@0.6.1
cp "$work/leaflet-groupedlayercontrol/dist/leaflet.groupedlayercontrol.min.js" \
   "$work/leaflet-groupedlayercontrol/dist/leaflet.groupedlayercontrol.min.css" "$out/groupedlayercontrol/"
fetch chart.js@4.5.1
cp "$work/chart.js/dist/chart.umd.min.js" "$work/chart.js/LICENSE.md" "$out/chartjs/"
du -sh "$out"
